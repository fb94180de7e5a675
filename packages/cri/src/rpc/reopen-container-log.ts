import { status } from '@grpc/grpc-js';
import { reopenAppLog } from '@podstage/runtime';
import { GrpcError } from '@podstage/grpc';
import { containerLogPath } from '../logs.js';
import { requireContainer } from '../state.js';
import type { Rpc } from './types.js';

/** After the kubelet rotated the container's log away: the container's conmon starts a new file at its path. */
export const ReopenContainerLog: Rpc = async (ctx, req: { container_id: string }) => {
  const c = requireContainer(ctx.dataDir, req.container_id);
  if (c.state !== 'CONTAINER_RUNNING') throw new GrpcError(status.FAILED_PRECONDITION, `container ${c.id} is not running`);
  await reopenAppLog(ctx.dataDir, c.sandbox.ref.uuid, c.app.name, containerLogPath(c));
  return {};
};
