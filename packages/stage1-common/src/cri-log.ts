/**
 * App output in the Kubernetes CRI log format, one record per line:
 *   <RFC3339Nano timestamp> <stdout|stderr> <P|F> <message>
 * F ends a line; P is a partial line: a line longer than MAX_LINE_BYTES is cut
 * into P records, and output that ends without a newline ends with a P record.
 */
import { createWriteStream, type WriteStream } from 'node:fs';

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
