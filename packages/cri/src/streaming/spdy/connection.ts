/**
 * The server's end of a SPDY/3 session on an upgraded HTTP connection, as
 * Kubernetes' clients use it: the client opens every stream (SYN_STREAM with
 * its headers), the server accepts each with a SYN_REPLY, and either
 * side half-closes a stream with FIN. Like moby/spdystream, the peer of every
 * Kubernetes client, it does no flow control of its own: TCP's is the one
 * that counts, and WINDOW_UPDATE and SETTINGS frames are read and dropped.
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { controlFrame, dataFrame, FLAG_FIN, FrameType, readFrames, RstStatus, streamIdAt, uint32s, type Frame } from './frames.js';
import { HeaderCompression, type Headers } from './headers.js';

const DATA_CHUNK = 32 * 1024;

export class SpdyStream extends Duplex {
  constructor(readonly id: number, readonly headers: Headers, private readonly connection: SpdyConnection) {
    super({ allowHalfOpen: true });
  }
  override _read(): void { /* pushed by the connection as frames come */ }
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (e?: Error | null) => void): void {
    this.connection.sendData(this.id, chunk, false, done);
  }
  override _final(done: (e?: Error | null) => void): void {
    this.connection.sendData(this.id, Buffer.alloc(0), true, done);
  }
  override _destroy(err: Error | null, done: (e?: Error | null) => void): void {
    if (!this.writableFinished || !this.readableEnded) this.connection.reset(this.id, RstStatus.CANCEL);
    this.connection.forget(this.id);
    done(err);
  }
}

export interface SpdyConnectionEvents {
  stream: [SpdyStream];
  close: [];
}

export class SpdyConnection extends EventEmitter<SpdyConnectionEvents> {
  private readonly streams = new Map<number, SpdyStream>();
  private readonly compression = new HeaderCompression();
  private pending: Buffer = Buffer.alloc(0);
  private work: Promise<void> = Promise.resolve();
  private closed = false;
  /** The last stream the client opened: GOAWAY says every stream up to it was handled. */
  private lastStreamId = 0;

  /** `socket`: the upgraded TCP connection, or a websocket's stream carrying SPDY tunneled in it. */
  constructor(private readonly socket: Duplex & Partial<Pick<Socket, 'setNoDelay'>>, head: Buffer) {
    super();
    socket.setNoDelay?.(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', () => this.close());
    socket.on('close', () => this.close());
    // The client is gone once its side ends (an upgraded socket stays half-open otherwise).
    socket.on('end', () => this.close());
    if (head.length > 0) this.receive(head);
  }

  /**
   * Accept a stream: a SYN_REPLY, which the client waits for before using it.
   * Kubernetes' clients ignore its headers; SPDY/3 asks for `:status` and `:version`.
   */
  async reply(stream: SpdyStream): Promise<void> {
    try {
      const block = await this.compression.encode({ ':status': '200', ':version': 'HTTP/1.1' });
      this.write(controlFrame(FrameType.SYN_REPLY, 0, Buffer.concat([uint32s(stream.id), block])));
    } catch {
      // The connection closed meanwhile (its zlib streams with it).
      stream.destroy();
    }
  }

  sendData(id: number, payload: Buffer, fin: boolean, done: (e?: Error | null) => void): void {
    if (this.closed) return done(new Error('the SPDY connection is closed'));
    let drained = true;
    for (let at = 0; at < payload.length || (at === 0 && fin); at += DATA_CHUNK) {
      const part = payload.subarray(at, at + DATA_CHUNK);
      const last = at + DATA_CHUNK >= payload.length;
      drained = this.socket.write(dataFrame(id, fin && last ? FLAG_FIN : 0, part));
      if (payload.length === 0) break;
    }
    if (drained) done();
    else this.socket.once('drain', () => done());
  }

  reset(id: number, status: number): void {
    this.write(controlFrame(FrameType.RST_STREAM, 0, uint32s(id, status)));
  }

  forget(id: number): void {
    this.streams.delete(id);
  }

  /** GOAWAY, then the connection ends once what was written is sent. */
  close(): void {
    if (this.closed) return;
    this.write(controlFrame(FrameType.GOAWAY, 0, uint32s(this.lastStreamId, 0)));
    this.closed = true;
    this.socket.end();
    for (const s of this.streams.values()) s.destroy();
    this.streams.clear();
    this.compression.close();
    this.emit('close');
  }

  private write(frame: Buffer): void {
    if (!this.closed && this.socket.writable) this.socket.write(frame);
  }

  private receive(chunk: Buffer): void {
    let frames: Frame[];
    try {
      const read = readFrames(this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]));
      frames = read.frames;
      this.pending = Buffer.from(read.rest);
    } catch {
      this.close();
      return;
    }
    // Header blocks share one zlib stream: frames are handled strictly in order.
    for (const frame of frames) this.work = this.work.then(() => this.handle(frame)).catch(() => this.close());
  }

  private async handle(f: Frame): Promise<void> {
    if (this.closed) return;
    if (!f.control) {
      const stream = this.streams.get(f.streamId);
      if (stream === undefined) return;
      if (f.payload.length > 0) stream.push(Buffer.from(f.payload));
      if ((f.flags & FLAG_FIN) !== 0) stream.push(null);
      return;
    }
    switch (f.type) {
      case FrameType.SYN_STREAM: {
        const id = streamIdAt(f.payload);
        const headers = await this.compression.decode(f.payload.subarray(10));
        this.lastStreamId = Math.max(this.lastStreamId, id);
        if (this.streams.has(id)) return this.reset(id, RstStatus.PROTOCOL_ERROR);
        const stream = new SpdyStream(id, headers, this);
        this.streams.set(id, stream);
        if ((f.flags & FLAG_FIN) !== 0) stream.push(null);
        if (this.listenerCount('stream') === 0) stream.destroy();
        else this.emit('stream', stream);
        return;
      }
      case FrameType.HEADERS:
        await this.compression.decode(f.payload.subarray(4));
        return;
      case FrameType.RST_STREAM:
        this.streams.get(streamIdAt(f.payload))?.destroy();
        return;
      case FrameType.PING:
        this.write(controlFrame(FrameType.PING, 0, f.payload));
        return;
      case FrameType.GOAWAY:
        this.close();
        return;
      default:
        return;
    }
  }
}
