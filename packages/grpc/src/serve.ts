/** A front end's server in the foreground: listening until SIGINT or SIGTERM, then closed. */
import type { Server } from '@grpc/grpc-js';
import { listen } from './listen.js';

export async function serveUntilSignal(server: Server, address: string, what: string): Promise<void> {
  const listener = await listen(server, address);
  process.stderr.write(`${what}: serving on ${address}\n`);
  await new Promise<void>((resolve) => {
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => resolve());
  });
  await listener.close();
}
