import { status } from '@grpc/grpc-js';
import { findPod } from '@podstage/runtime/status';
import type { ApiContext } from '../context.js';
import { GrpcError } from '@podstage/grpc';
import { apiPod } from '../pods.js';

export async function InspectPod(ctx: ApiContext, req: { id: string }) {
  if (req.id === '') throw new GrpcError(status.INVALID_ARGUMENT, 'id: expected a pod UUID');
  return { pod: apiPod(findPod(ctx.dataDir, req.id), true) };
}
