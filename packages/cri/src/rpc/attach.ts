import { status } from '@grpc/grpc-js';
import { appStdio } from '@podstage/contract';
import { GrpcError } from '@podstage/grpc';
import { requireContainer } from '../state.js';
import { checkStreams, streamingUrl } from './streaming-url.js';
import type { Rpc } from './types.js';

/**
 * A URL of the streaming server that attaches to the container: its output
 * from now on, its stdin if it was created with one. Its terminal is the
 * container's own: with one, everything comes on stdout, as containerd does.
 */
export const Attach: Rpc = async (ctx, req: { container_id: string; tty: boolean; stdin: boolean; stdout: boolean; stderr: boolean }) => {
  checkStreams(req);
  const c = requireContainer(ctx.dataDir, req.container_id);
  if (c.state !== 'CONTAINER_RUNNING') throw new GrpcError(status.FAILED_PRECONDITION, `container ${c.id} is not running`);
  const stdio = appStdio(c.app.annotations, c.app.name);
  if (req.stdin && stdio.stdin === undefined) throw new GrpcError(status.INVALID_ARGUMENT, `stdin: container ${c.id} was created without stdin`);
  return streamingUrl(ctx, { kind: 'attach', containerId: c.id, tty: req.tty, stdin: req.stdin, stdout: req.stdout, stderr: req.stderr });
};
