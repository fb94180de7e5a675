/**
 * Apps' CRI logs, as conmon writes them, one record per line:
 *   <RFC 3339 timestamp> <stdout|stderr> <P|F> <message>
 * F ends a line; P is part of one (a long line, or output that ends without a newline).
 */
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import type { OutputMode } from '@podstage/contract';

export type LogStream = 'stdout' | 'stderr';

/**
 * Follows apps' CRI log files as another process (conmon) writes them and
 * copies their messages to this process's stdout and stderr, for the streams
 * whose mode is `stream`: the terminal of a foreground run.
 */
export class CriLogTee {
  readonly #files = new Map<string, { fd?: number; rest: Buffer }>();

  constructor(private readonly modes: Record<LogStream, OutputMode>) {}

  follow(path: string): void {
    if (!this.#files.has(path)) this.#files.set(path, { rest: Buffer.alloc(0) });
  }

  /** Copy what was appended since the last call; a record is written once its line is complete. */
  poll(): void {
    const chunk = Buffer.alloc(64 * 1024);
    for (const [path, f] of this.#files) {
      if (f.fd === undefined) {
        try {
          f.fd = openSync(path, 'r');
        } catch {
          continue;
        }
      }
      for (;;) {
        const n = readSync(f.fd, chunk, 0, chunk.length, null);
        if (n === 0) break;
        let data = Buffer.concat([f.rest, chunk.subarray(0, n)]);
        for (let nl = data.indexOf(0x0a); nl >= 0; nl = data.indexOf(0x0a)) {
          this.#write(data.subarray(0, nl));
          data = data.subarray(nl + 1);
        }
        f.rest = Buffer.from(data);
      }
    }
  }

  close(): void {
    for (const f of this.#files.values()) if (f.fd !== undefined) closeSync(f.fd);
    this.#files.clear();
  }

  #write(record: Buffer): void {
    const fields = /^(\S+) (stdout|stderr) ([PF]) /.exec(record.subarray(0, 64).toString('latin1'));
    if (fields === null) return;
    const stream = fields[2] as LogStream;
    if (this.modes[stream] !== 'stream') return;
    const message = record.subarray(fields[0].length);
    writeAll(stream === 'stdout' ? 1 : 2, fields[3] === 'F' ? Buffer.concat([message, Buffer.from('\n')]) : message);
  }
}

function writeAll(fd: number, data: Buffer): void {
  for (let off = 0; off < data.length;) {
    try {
      off += writeSync(fd, data, off);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') return;
    }
  }
}
