/** The v1alpha PublicAPI server: all seven RPCs, read-only. */
import { Server } from '@grpc/grpc-js';
import type { ApiContext } from './context.js';
import { implementation, toStatus } from '@podstage/grpc';
import { publicApi } from './proto.js';
import { GetInfo } from './rpc/get-info.js';
import { ListPods } from './rpc/list-pods.js';
import { InspectPod } from './rpc/inspect-pod.js';
import { ListImages } from './rpc/list-images.js';
import { InspectImage } from './rpc/inspect-image.js';
import { ListenEvents } from './rpc/listen-events.js';
import { GetLogs } from './rpc/get-logs.js';

export function createApiServer(ctx: ApiContext): Server {
  const service = publicApi().service;
  const server = new Server();
  server.addService(service, implementation(ctx, service, 'PublicAPI', {
    unary: { GetInfo, ListPods, InspectPod, ListImages, InspectImage },
    streaming: { ListenEvents, GetLogs },
  }, toStatus));
  return server;
}
