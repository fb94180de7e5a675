import { status } from '@grpc/grpc-js';
import { GrpcError } from '@podstage/grpc';
import { requireContainer } from '../state.js';
import { checkStreams, streamingUrl } from './streaming-url.js';
import type { Rpc } from './types.js';

/** A URL of the streaming server where the command runs in the container (with a terminal and stdin when asked). */
export const Exec: Rpc = async (ctx, req: { container_id: string; cmd: string[]; tty: boolean; stdin: boolean; stdout: boolean; stderr: boolean }) => {
  if (req.cmd.length === 0) throw new GrpcError(status.INVALID_ARGUMENT, 'cmd: expected a command');
  checkStreams(req);
  const c = requireContainer(ctx.dataDir, req.container_id);
  if (c.state !== 'CONTAINER_RUNNING') throw new GrpcError(status.FAILED_PRECONDITION, `container ${c.id} is not running`);
  return streamingUrl(ctx, { kind: 'exec', containerId: c.id, cmd: req.cmd, tty: req.tty, stdin: req.stdin, stdout: req.stdout, stderr: req.stderr });
};
