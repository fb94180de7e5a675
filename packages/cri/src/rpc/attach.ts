import { status } from '@grpc/grpc-js';
import { GrpcError } from '@podstage/grpc';
import { requireContainer } from '../state.js';
import { checkStreams, streamingUrl } from './streaming-url.js';
import type { Rpc } from './types.js';

/**
 * A URL of the streaming server that carries the container's output from now
 * on. Containers have no stdin or terminal (CreateContainer refuses them), so
 * asking for either is refused here.
 */
export const Attach: Rpc = async (ctx, req: { container_id: string; tty: boolean; stdin: boolean; stdout: boolean; stderr: boolean }) => {
  checkStreams(req);
  const c = requireContainer(ctx.dataDir, req.container_id);
  if (c.state !== 'CONTAINER_RUNNING') throw new GrpcError(status.FAILED_PRECONDITION, `container ${c.id} is not running`);
  if (req.stdin) throw new GrpcError(status.INVALID_ARGUMENT, `stdin: container ${c.id} was created without stdin`);
  if (req.tty) throw new GrpcError(status.INVALID_ARGUMENT, `tty: container ${c.id} was created without a terminal`);
  return streamingUrl(ctx, { kind: 'attach', containerId: c.id, tty: false, stdin: false, stdout: req.stdout, stderr: req.stderr });
};
