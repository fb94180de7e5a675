/**
 * The gRPC server: every RPC of runtime.v1's RuntimeService and ImageService
 * is bound, those podstage implements to their rpc/ module, every other one
 * to UNIMPLEMENTED (never a fake success).
 */
import { mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { Server, ServerCredentials, status, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';
import type { CriContext } from './context.js';
import { authorityProxy } from './authority-proxy.js';
import { grpcError } from './errors.js';
import { criServices } from './proto.js';
import { RUNTIME_RPCS, IMAGE_RPCS } from './rpcs.js';
import type { Rpc } from './rpc/types.js';

function implementation(ctx: CriContext, definition: ServiceDefinition, rpcs: Record<string, Rpc>, service: string): UntypedServiceImplementation {
  const impl: UntypedServiceImplementation = {};
  for (const [name, method] of Object.entries(definition)) {
    const rpc = rpcs[name];
    const unimplemented = { code: status.UNIMPLEMENTED, details: `${service}.${name} is not implemented by podstage` };
    if (method.requestStream || method.responseStream) {
      impl[name] = (call: { emit(event: 'error', err: object): void }) => call.emit('error', unimplemented);
    } else if (rpc === undefined) {
      impl[name] = (_call: unknown, callback: (err: object) => void) => callback(unimplemented);
    } else {
      impl[name] = (call: { request: unknown }, callback: (err: object | null, response?: object) => void) => {
        rpc(ctx, call.request).then((response) => callback(null, response), (err: unknown) => callback(grpcError(err)));
      };
    }
  }
  return impl;
}

export function createCriServer(ctx: CriContext): Server {
  const { RuntimeService, ImageService } = criServices();
  const server = new Server();
  server.addService(RuntimeService.service, implementation(ctx, RuntimeService.service, RUNTIME_RPCS, 'RuntimeService'));
  server.addService(ImageService.service, implementation(ctx, ImageService.service, IMAGE_RPCS, 'ImageService'));
  return server;
}

export interface CriListener {
  address: string;
  /** Finish the calls in flight and stop listening. */
  close(): Promise<void>;
}

/**
 * Serve on `unix:///PATH` (a stale socket file is replaced; the gRPC server listens on PATH.grpc
 * behind authority-proxy.ts) or `HOST:PORT`; resolves once it listens.
 */
export async function listen(server: Server, address: string): Promise<CriListener> {
  const bind = (to: string) => new Promise<void>((resolve, reject) => server.bindAsync(to, ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())));
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
