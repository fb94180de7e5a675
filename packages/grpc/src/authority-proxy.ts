/**
 * The CRI socket as clients really use it. grpc-go before 1.5x (crictl 1.26,
 * older kubelets) sends the socket's path as HTTP/2 `:authority`, which
 * Node's HTTP/2 (nghttp2) refuses as no valid authority (RST_STREAM
 * PROTOCOL_ERROR) and offers no switch to allow. This proxy owns the public
 * Unix socket and forwards each connection to the gRPC server's private one,
 * re-encoding the client's header blocks (HPACK, hpack.js) with such an
 * authority replaced by `localhost`, as newer clients send. Everything else,
 * and the whole server-to-client direction, passes through unchanged.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import hpack from 'hpack.js';

const PREFACE_LENGTH = 24;
const FRAME_HEADER = 9;
const HEADERS = 0x1;
const CONTINUATION = 0x9;
const END_STREAM = 0x1;
const END_HEADERS = 0x4;
const PADDED = 0x8;
const PRIORITY = 0x20;
/** HTTP/2's defaults, which Node's server keeps: SETTINGS_HEADER_TABLE_SIZE and SETTINGS_MAX_FRAME_SIZE. */
const TABLE_SIZE = 4096;
const MAX_FRAME = 16384;

function frame(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(FRAME_HEADER);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(stream, 5);
  return Buffer.concat([head, payload]);
}

/** Rewrites the client-to-server byte stream of one connection. */
class ClientStream {
  private buffered = Buffer.alloc(0);
  private prefaceLeft = PREFACE_LENGTH;
  private readonly decoder = hpack.decompressor.create({ table: { size: TABLE_SIZE } });
  private readonly encoder = hpack.compressor.create({ table: { size: TABLE_SIZE } });
  /** A header block still waiting for its CONTINUATION frames. */
  private pending: { stream: number; flags: number; priority: Buffer; fragments: Buffer[] } | undefined;

  push(chunk: Buffer): Buffer {
    const out: Buffer[] = [];
    if (this.prefaceLeft > 0) {
      const n = Math.min(this.prefaceLeft, chunk.length);
      out.push(chunk.subarray(0, n));
      this.prefaceLeft -= n;
      chunk = chunk.subarray(n);
    }
    this.buffered = Buffer.concat([this.buffered, chunk]);
    while (this.buffered.length >= FRAME_HEADER) {
      const length = this.buffered.readUIntBE(0, 3);
      if (this.buffered.length < FRAME_HEADER + length) break;
      const raw = this.buffered.subarray(0, FRAME_HEADER + length);
      this.buffered = this.buffered.subarray(FRAME_HEADER + length);
      out.push(...this.frame(raw));
    }
    return Buffer.concat(out);
  }

  private frame(raw: Buffer): Buffer[] {
    const type = raw[3]!;
    const flags = raw[4]!;
    const stream = raw.readUInt32BE(5) & 0x7fffffff;
    let payload = raw.subarray(FRAME_HEADER);
    if (type === HEADERS) {
      const pad = flags & PADDED ? payload[0]! : 0;
      payload = payload.subarray(flags & PADDED ? 1 : 0, payload.length - pad);
      const priority = flags & PRIORITY ? payload.subarray(0, 5) : Buffer.alloc(0);
      this.pending = { stream, flags: flags & (END_STREAM | PRIORITY), priority, fragments: [payload.subarray(priority.length)] };
    } else if (type === CONTINUATION && this.pending !== undefined) {
      this.pending.fragments.push(payload);
    } else {
      return [raw];
    }
    if (!(flags & END_HEADERS)) return [];
    const { stream: id, flags: kept, priority, fragments } = this.pending!;
    this.pending = undefined;
    return this.reencode(id, kept, priority, Buffer.concat(fragments));
  }

  private reencode(stream: number, flags: number, priority: Buffer, block: Buffer): Buffer[] {
    this.decoder.write(block);
    this.decoder.execute();
    const headers = [];
    for (let h = this.decoder.read(); h !== null; h = this.decoder.read()) {
      headers.push(h.name === ':authority' && h.value.includes('/') ? { ...h, value: 'localhost' } : h);
    }
    this.encoder.write(headers);
    const chunks: Buffer[] = [];
    for (let c = this.encoder.read(); c !== null; c = this.encoder.read()) chunks.push(c);
    const encoded = Buffer.concat([priority, ...chunks]);
    const frames: Buffer[] = [];
    for (let at = 0; at === 0 || at < encoded.length; at += MAX_FRAME) {
      const last = at + MAX_FRAME >= encoded.length;
      const part = encoded.subarray(at, at + MAX_FRAME);
      frames.push(at === 0 ? frame(HEADERS, flags | (last ? END_HEADERS : 0), stream, part) : frame(CONTINUATION, last ? END_HEADERS : 0, stream, part));
    }
    return frames;
  }
}

function proxyConnection(client: Socket, upstreamPath: string): void {
  const upstream = connect(upstreamPath);
  const rewrite = new ClientStream();
  client.on('data', (chunk: Buffer) => {
    try {
      upstream.write(rewrite.push(chunk));
    } catch {
      client.destroy();
      upstream.destroy();
    }
  });
  client.on('end', () => upstream.end());
  upstream.pipe(client);
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
  client.on('close', () => upstream.destroy());
}

export function authorityProxy(publicPath: string, upstreamPath: string): Promise<Server> {
  const server = createServer((socket) => proxyConnection(socket, upstreamPath));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(publicPath, () => resolve(server));
  });
}
