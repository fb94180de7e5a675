/** An app's CRI-format log (`TIMESTAMP STREAM P|F MESSAGE`, written by its conmon) as whole lines with their time. */
import { closeSync, openSync, readSync, statSync } from 'node:fs';

export interface LogLine { seconds: number; text: string }

/** Reads a log file from where it left off; P (partial) records are joined up to their F. */
export class LogReader {
  private offset = 0;
  private rest = '';
  private partial = '';

  constructor(private readonly file: string) {}

  read(): LogLine[] {
    let size: number;
    try {
      size = statSync(this.file).size;
    } catch {
      return [];
    }
    if (size <= this.offset) return [];
    const buf = Buffer.alloc(size - this.offset);
    const fd = openSync(this.file, 'r');
    try {
      readSync(fd, buf, 0, buf.length, this.offset);
    } finally {
      closeSync(fd);
    }
    this.offset = size;
    const records = (this.rest + buf.toString('utf8')).split('\n');
    this.rest = records.pop() ?? '';
    const out: LogLine[] = [];
    for (const record of records) {
      const m = /^(\S+) (?:stdout|stderr) ([PF]) (.*)$/.exec(record);
      if (m === null) continue;
      this.partial += m[3];
      if (m[2] === 'F') {
        out.push({ seconds: Math.floor(Date.parse(m[1]!) / 1000), text: this.partial });
        this.partial = '';
      }
    }
    return out;
  }
}
