/**
 * An app's log in the CRI format conmon writes (ABI.md: `apps/<app>/log`):
 * one record per line, `TIMESTAMP STREAM P|F MESSAGE`, where P marks a piece
 * of a line that goes on in the next record and F the end of one.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';

export interface CriLogRecord {
  /** RFC 3339 with nanoseconds. */
  time: string;
  stream: 'stdout' | 'stderr';
  /** P: the line goes on in the next record of this stream. */
  partial: boolean;
  text: string;
}

const RECORD = /^(\S+) (stdout|stderr) ([PF]) (.*)$/;

/** Reads a growing log from where it left off (its start, or its end at construction with `fromEnd`). */
export class CriLogReader {
  private offset = 0;
  private rest = '';

  constructor(private readonly file: string, o: { fromEnd?: boolean } = {}) {
    if (o.fromEnd === true) this.offset = this.size() ?? 0;
  }

  private size(): number | undefined {
    try {
      return statSync(this.file).size;
    } catch {
      return undefined;
    }
  }

  /** The whole records written since the last call. */
  read(): CriLogRecord[] {
    const size = this.size();
    if (size === undefined || size <= this.offset) return [];
    const buf = Buffer.alloc(size - this.offset);
    const fd = openSync(this.file, 'r');
    try {
      readSync(fd, buf, 0, buf.length, this.offset);
    } finally {
      closeSync(fd);
    }
    this.offset = size;
    const lines = (this.rest + buf.toString('utf8')).split('\n');
    this.rest = lines.pop() ?? '';
    const records: CriLogRecord[] = [];
    for (const line of lines) {
      const m = RECORD.exec(line);
      if (m !== null) records.push({ time: m[1]!, stream: m[2] as CriLogRecord['stream'], partial: m[3] === 'P', text: m[4]! });
    }
    return records;
  }
}
