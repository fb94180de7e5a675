/**
 * The gRPC server: every RPC of runtime.v1's RuntimeService and ImageService
 * is bound, those podstage implements to their rpc/ module, every other one
 * to UNIMPLEMENTED (never a fake success).
 */
import { Server } from '@grpc/grpc-js';
import type { CriContext } from './context.js';
import { implementation, toStatus } from '@podstage/grpc';
import { criServices } from './proto.js';
import { IMAGE_RPCS, IMAGE_STREAMS, RUNTIME_RPCS, RUNTIME_STREAMS } from './rpcs.js';

export function createCriServer(ctx: CriContext): Server {
  const { RuntimeService, ImageService } = criServices();
  const server = new Server();
  server.addService(RuntimeService.service, implementation(ctx, RuntimeService.service, 'RuntimeService', { unary: RUNTIME_RPCS, streaming: RUNTIME_STREAMS }, toStatus));
  server.addService(ImageService.service, implementation(ctx, ImageService.service, 'ImageService', { unary: IMAGE_RPCS, streaming: IMAGE_STREAMS }, toStatus));
  return server;
}
