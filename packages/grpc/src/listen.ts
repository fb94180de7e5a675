/** Serving a gRPC server on `unix:///PATH` (behind authority-proxy.ts) or `HOST:PORT`. */
import { mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { ServerCredentials, type Server } from '@grpc/grpc-js';
import { PodstageError } from '@podstage/contract';
import { authorityProxy } from './authority-proxy.js';

export interface Listener {
  address: string;
  /** Finish the calls in flight and stop listening. */
  close(): Promise<void>;
}

/**
 * Serve on `unix:///PATH` (a stale socket file is replaced; the gRPC server listens on PATH.grpc
 * behind the authority proxy) or `HOST:PORT`; resolves once it listens.
 */
export async function listen(server: Server, address: string): Promise<Listener> {
  const bind = (to: string) => new Promise<void>((resolve, reject) => server.bindAsync(to, ServerCredentials.createInsecure(), (err) => {
    if (err === null) resolve();
    else reject(new PodstageError('ERR_PODSTAGE_USAGE', `--listen=${address}: cannot listen there: ${err.message}`, { hint: 'give unix:///PATH or HOST:PORT' }));
  }));
  const shutdown = () => new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  if (!address.startsWith('unix://')) {
    await bind(address);
    return { address, close: shutdown };
  }
  const path = address.slice('unix://'.length);
  const upstream = `${path}.grpc`;
  mkdirSync(dirname(path), { recursive: true });
  for (const file of [path, upstream]) rmSync(file, { force: true });
  await bind(`unix://${upstream}`);
  const proxy = await authorityProxy(path, upstream);
  return {
    address,
    close: async () => {
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
      await shutdown();
      for (const file of [path, upstream]) rmSync(file, { force: true });
    },
  };
}
