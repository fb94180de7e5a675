/**
 * SPDY/3 frames (draft 3, section 2.2): what Kubernetes' streaming protocols
 * (moby/spdystream) put on a connection after the `Upgrade: SPDY/3.1` handshake.
 * Only the framing lives here; header blocks are (de)compressed by headers.ts.
 */

export const SPDY_VERSION = 3;

export const FrameType = {
  SYN_STREAM: 1, SYN_REPLY: 2, RST_STREAM: 3, SETTINGS: 4, PING: 6, GOAWAY: 7, HEADERS: 8, WINDOW_UPDATE: 9,
} as const;

export const FLAG_FIN = 0x01;
/** RST_STREAM status codes used here. */
export const RstStatus = { PROTOCOL_ERROR: 1, INVALID_STREAM: 2, REFUSED_STREAM: 3, CANCEL: 5 } as const;

const HEADER_BYTES = 8;
/** Longest payload of one frame (24-bit length). */
export const MAX_PAYLOAD = 0xffffff;

export type Frame =
  | { control: true; type: number; flags: number; payload: Buffer }
  | { control: false; streamId: number; flags: number; payload: Buffer };

/** Split the frames at the start of `buffer`; the rest is an incomplete frame. */
export function readFrames(buffer: Buffer): { frames: Frame[]; rest: Buffer } {
  const frames: Frame[] = [];
  let at = 0;
  while (buffer.length - at >= HEADER_BYTES) {
    const length = buffer.readUIntBE(at + 5, 3);
    if (buffer.length - at < HEADER_BYTES + length) break;
    const flags = buffer[at + 4] as number;
    const payload = buffer.subarray(at + HEADER_BYTES, at + HEADER_BYTES + length);
    const word = buffer.readUInt32BE(at);
    if ((word & 0x80000000) !== 0) {
      const version = (word >>> 16) & 0x7fff;
      if (version !== SPDY_VERSION) throw new Error(`SPDY version ${version} is not spoken here (3 is)`);
      frames.push({ control: true, type: word & 0xffff, flags, payload });
    } else {
      frames.push({ control: false, streamId: word & 0x7fffffff, flags, payload });
    }
    at += HEADER_BYTES + length;
  }
  return { frames, rest: buffer.subarray(at) };
}

export function controlFrame(type: number, flags: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(HEADER_BYTES);
  head.writeUInt32BE((0x80000000 | (SPDY_VERSION << 16) | type) >>> 0, 0);
  head.writeUInt32BE(((flags << 24) | payload.length) >>> 0, 4);
  return Buffer.concat([head, payload]);
}

export function dataFrame(streamId: number, flags: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(HEADER_BYTES);
  head.writeUInt32BE(streamId & 0x7fffffff, 0);
  head.writeUInt32BE(((flags << 24) | payload.length) >>> 0, 4);
  return Buffer.concat([head, payload]);
}

/** A 32-bit field holding a 31-bit stream id, as most control frames start. */
export const streamIdAt = (payload: Buffer, offset = 0): number => payload.readUInt32BE(offset) & 0x7fffffff;

export function uint32s(...values: number[]): Buffer {
  const b = Buffer.alloc(4 * values.length);
  values.forEach((v, i) => b.writeUInt32BE(v >>> 0, 4 * i));
  return b;
}
