/**
 * The HTTP upgrade to SPDY/3.1 that Kubernetes' streaming clients start with
 * (`Upgrade: SPDY/3.1`, `X-Stream-Protocol-Version` once per protocol they
 * speak, best first): the first one the server speaks is answered with 101.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { SpdyConnection } from './spdy/connection.js';

export const isSpdyUpgrade = (req: IncomingMessage): boolean => /^spdy\/3\.1$/i.test(String(req.headers.upgrade ?? '').trim());

/** The protocols a request offers, in its order (repeated headers arrive joined with commas). */
export function offeredProtocols(header: string | string[] | undefined): string[] {
  const values = Array.isArray(header) ? header : header === undefined ? [] : [header];
  return values.flatMap((v) => v.split(',')).map((p) => p.trim()).filter((p) => p !== '');
}

export function refuse(socket: Socket, code: number, reason: string, message: string): void {
  socket.end(`HTTP/1.1 ${code} ${reason}\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(message)}\r\nConnection: close\r\n\r\n${message}`);
}

/** Switch to SPDY with the first offered protocol in `supported`, or refuse (403) and return undefined. */
export function upgradeToSpdy(req: IncomingMessage, socket: Socket, head: Buffer, supported: readonly string[]): { connection: SpdyConnection; protocol: string } | undefined {
  const offered = offeredProtocols(req.headers['x-stream-protocol-version']);
  const protocol = offered.find((p) => supported.includes(p));
  if (protocol === undefined) {
    refuse(socket, 403, 'Forbidden', `unable to upgrade: unable to negotiate protocol: client supports [${offered.join(' ')}], server supports [${supported.join(' ')}]`);
    return undefined;
  }
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${protocol}\r\n\r\n`);
  return { connection: new SpdyConnection(socket, head), protocol };
}
