/** An app's CRI-format log as whole lines with their time. */
import { CriLogReader } from '@podstage/contract';

export interface LogLine { seconds: number; text: string }

/** Reads a log file from where it left off; P (partial) records are joined up to their F. */
export class LogReader {
  private readonly records: CriLogReader;
  private partial = '';

  constructor(file: string) {
    this.records = new CriLogReader(file);
  }

  read(): LogLine[] {
    const out: LogLine[] = [];
    for (const r of this.records.read()) {
      this.partial += r.text;
      if (!r.partial) {
        out.push({ seconds: Math.floor(Date.parse(r.time) / 1000), text: this.partial });
        this.partial = '';
      }
    }
    return out;
  }
}
