/**
 * App output in the Kubernetes CRI log format, one record per line:
 *   <RFC3339Nano timestamp> <stdout|stderr> <P|F> <message>
 * F ends a line; P is a partial line: a line longer than MAX_LINE_BYTES is cut
 * into P records, and output that ends without a newline ends with a P record.
 */
import { closeSync, createWriteStream, openSync, readSync, writeSync, type WriteStream } from 'node:fs';
import type { OutputMode } from '@podstage/contract';

export const MAX_LINE_BYTES = 16 * 1024;
export type LogStream = 'stdout' | 'stderr';

/** RFC 3339 with nanoseconds, as kubelet writes and parses it. */
export function rfc3339Nano(epochNs: bigint): string {
  const ms = Number(epochNs / 1_000_000n);
  const ns = (epochNs % 1_000_000_000n).toString().padStart(9, '0');
  return `${new Date(ms).toISOString().slice(0, 19)}.${ns}Z`;
}

const origin = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();
export const nowNs = () => origin + process.hrtime.bigint();

export function criRecord(stream: LogStream, tag: 'P' | 'F', message: Buffer, at = nowNs()): Buffer {
  return Buffer.concat([Buffer.from(`${rfc3339Nano(at)} ${stream} ${tag} `), message, Buffer.from('\n')]);
}

/** Turns one output stream's chunks into CRI records. */
export class CriLineSplitter {
  #pending: Buffer = Buffer.alloc(0);

  constructor(private readonly stream: LogStream, private readonly emit: (record: Buffer) => void) {}

  push(chunk: Buffer): void {
    let data = this.#pending.length > 0 ? Buffer.concat([this.#pending, chunk]) : chunk;
    for (;;) {
      const nl = data.indexOf(0x0a);
      if (nl >= 0 && nl <= MAX_LINE_BYTES) {
        this.emit(criRecord(this.stream, 'F', data.subarray(0, nl)));
        data = data.subarray(nl + 1);
      } else if (data.length > MAX_LINE_BYTES) {
        this.emit(criRecord(this.stream, 'P', data.subarray(0, MAX_LINE_BYTES)));
        data = data.subarray(MAX_LINE_BYTES);
      } else break;
    }
    this.#pending = Buffer.from(data);
  }

  end(): void {
    if (this.#pending.length > 0) this.emit(criRecord(this.stream, 'P', this.#pending));
    this.#pending = Buffer.alloc(0);
  }
}

/** An app's log file, shared by its stdout and stderr. */
export function openCriLog(path: string): WriteStream {
  return createWriteStream(path, { flags: 'a', mode: 0o640 });
}

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
