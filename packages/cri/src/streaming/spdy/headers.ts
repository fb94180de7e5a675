/**
 * SPDY/3 header blocks (draft 3, section 2.6.10): name/value pairs with 32-bit
 * lengths, compressed by one zlib stream per direction for the whole session
 * (preset dictionary, a sync flush after each block), so blocks are handled in
 * the order they were sent.
 */
import { constants, createDeflate, createInflate, type Deflate, type Inflate } from 'node:zlib';
import { SPDY3_DICTIONARY } from './dictionary.js';

export type Headers = Record<string, string>;

export function encodeHeaders(headers: Headers): Buffer {
  const entries = Object.entries(headers);
  const parts: Buffer[] = [uint32(entries.length)];
  for (const [name, value] of entries) {
    const n = Buffer.from(name.toLowerCase()), v = Buffer.from(value);
    parts.push(uint32(n.length), n, uint32(v.length), v);
  }
  return Buffer.concat(parts);
}

/** Several values of one name are NUL-separated; the first is kept. */
export function decodeHeaders(block: Buffer): Headers {
  const headers: Headers = {};
  let at = 0;
  const field = (): string => {
    const length = block.readUInt32BE(at);
    const s = block.subarray(at + 4, at + 4 + length).toString();
    at += 4 + length;
    return s;
  };
  const count = block.readUInt32BE(0);
  at = 4;
  for (let i = 0; i < count; i++) {
    const name = field().toLowerCase();
    headers[name] = field().split('\0')[0] as string;
  }
  return headers;
}

function uint32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

/** One direction's zlib stream; each call waits for the ones before it. */
class HeaderZlib {
  private queue: Promise<unknown> = Promise.resolve();
  private output: Buffer[] = [];
  constructor(private readonly z: Inflate | Deflate) {
    z.on('data', (chunk: Buffer) => this.output.push(chunk));
    z.on('error', () => undefined);
  }
  run(input: Buffer): Promise<Buffer> {
    const next = this.queue.then(() => new Promise<Buffer>((resolve, reject) => {
      this.z.once('error', reject);
      this.z.write(input);
      this.z.flush(constants.Z_SYNC_FLUSH, () => {
        this.z.off('error', reject);
        // 'data' for what the flush produced comes before its callback.
        const out = Buffer.concat(this.output);
        this.output = [];
        resolve(out);
      });
    }));
    this.queue = next.catch(() => undefined);
    return next;
  }
  close(): void {
    this.z.destroy();
  }
}

export class HeaderCompression {
  private readonly inflater = new HeaderZlib(createInflate({ dictionary: SPDY3_DICTIONARY }));
  private readonly deflater = new HeaderZlib(createDeflate({ dictionary: SPDY3_DICTIONARY }));

  async decode(block: Buffer): Promise<Headers> {
    return decodeHeaders(await this.inflater.run(block));
  }
  encode(headers: Headers): Promise<Buffer> {
    return this.deflater.run(encodeHeaders(headers));
  }
  close(): void {
    this.inflater.close();
    this.deflater.close();
  }
}
