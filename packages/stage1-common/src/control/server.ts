/** Supervisor side of the control channel. */
import { mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { createServer, type Server } from 'node:net';
import type { ControlReply, ControlRequest } from './protocol.js';

export function serveControl(path: string, handle: (req: ControlRequest) => Promise<ControlReply>): Server {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  rmSync(path, { force: true });
  // allowHalfOpen: the client half-closes after its request and still reads the reply.
  const server = createServer({ allowHalfOpen: true }, (sock) => {
    let data = '';
    sock.on('data', (d) => {
      data += d.toString();
    });
    sock.on('end', () => {
      let req: ControlRequest;
      try {
        req = JSON.parse(data) as ControlRequest;
      } catch {
        sock.end(JSON.stringify({ ok: false, error: 'control request is not JSON' }));
        return;
      }
      handle(req).then(
        (reply) => sock.end(JSON.stringify(reply)),
        (err: unknown) => sock.end(JSON.stringify({ ok: false, error: (err as Error).message })),
      );
    });
    sock.on('error', () => sock.destroy());
  });
  server.listen(path);
  return server;
}
