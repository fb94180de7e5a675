/**
 * A minimal websocket client (RFC 6455: handshake, masked binary frames out,
 * binary/continuation/close/ping frames in) for what ws will not speak: a
 * subprotocol that is no token, as client-go's `SPDY/3.1+portforward.k8s.io`.
 * The server under test uses ws; this is a second implementation to check it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Duplex } from 'node:stream';
import { httpUpgrade } from './http-upgrade.js';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const OP_CONTINUATION = 0x0, OP_BINARY = 0x2, OP_CLOSE = 0x8, OP_PING = 0x9, OP_PONG = 0xa;

function frame(opcode: number, payload: Buffer): Buffer {
  const mask = randomBytes(4);
  const length = payload.length < 126 ? Buffer.from([0x80 | payload.length])
    : payload.length < 65536 ? Buffer.from([0x80 | 126, payload.length >> 8, payload.length & 0xff])
      : Buffer.concat([Buffer.from([0x80 | 127]), (() => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(payload.length)); return b; })()]);
  const masked = Buffer.from(payload.map((byte, i) => byte ^ (mask[i % 4] as number)));
  return Buffer.concat([Buffer.from([0x80 | opcode]), length, mask, masked]);
}

/** Whole frames off the front of `buffer` (the server's are never masked); the rest waits for more bytes. */
function readFrames(buffer: Buffer): { frames: { opcode: number; payload: Buffer }[]; rest: Buffer } {
  const frames: { opcode: number; payload: Buffer }[] = [];
  let at = 0;
  for (;;) {
    if (buffer.length - at < 2) break;
    const opcode = (buffer[at] as number) & 0x0f;
    let length = (buffer[at + 1] as number) & 0x7f;
    let header = 2;
    if (length === 126) {
      if (buffer.length - at < 4) break;
      length = buffer.readUInt16BE(at + 2);
      header = 4;
    } else if (length === 127) {
      if (buffer.length - at < 10) break;
      length = Number(buffer.readBigUInt64BE(at + 2));
      header = 10;
    }
    if (buffer.length - at < header + length) break;
    frames.push({ opcode, payload: buffer.subarray(at + header, at + header + length) });
    at += header + length;
  }
  return { frames, rest: buffer.subarray(at) };
}

/** Connect to `url` (http://HOST:PORT/PATH) asking for `protocol`; the binary messages as a byte stream. */
export async function rawWebsocket(url: string, protocol: string): Promise<{ stream: Duplex; protocol: string }> {
  const u = new URL(url);
  const key = randomBytes(16).toString('base64');
  const up = await httpUpgrade(url, [
    `GET ${u.pathname}${u.search} HTTP/1.1`, `Host: ${u.host}`, 'Connection: Upgrade', 'Upgrade: websocket',
    `Sec-WebSocket-Key: ${key}`, 'Sec-WebSocket-Version: 13', `Sec-WebSocket-Protocol: ${protocol}`,
  ]);
  const { socket } = up;
  const accept = createHash('sha1').update(key + GUID).digest('base64');
  if (up.status !== 101 || !up.headers.toLowerCase().includes(`sec-websocket-accept: ${accept.toLowerCase()}`)) {
    socket.destroy();
    throw new Error(`the websocket handshake failed: ${up.headers}`);
  }
  const granted = /^sec-websocket-protocol:\s*(.*)$/im.exec(up.headers)?.[1]?.trim() ?? '';
  let pending: Buffer = up.rest;
  const stream = new Duplex({
    read() { /* pushed as frames come */ },
    write(chunk: Buffer, _encoding, done) { socket.write(frame(OP_BINARY, chunk), done); },
    final(done) { socket.write(frame(OP_CLOSE, Buffer.from([0x03, 0xe8])), done); },
    destroy(err, done) { socket.destroy(); done(err); },
  });
  const receive = (data: Buffer) => {
    const { frames, rest } = readFrames(Buffer.concat([pending, data]));
    pending = rest;
    for (const f of frames) {
      if (f.opcode === OP_BINARY || f.opcode === OP_CONTINUATION) stream.push(f.payload);
      else if (f.opcode === OP_PING) socket.write(frame(OP_PONG, f.payload));
      else if (f.opcode === OP_CLOSE) stream.push(null);
    }
  };
  socket.on('data', receive);
  socket.on('end', () => stream.push(null));
  socket.on('close', () => stream.destroy());
  receive(Buffer.alloc(0));
  socket.resume();
  return { stream, protocol: granted };
}
