import { status } from '@grpc/grpc-js';
import { execInPod } from '@podstage/runtime';
import { GrpcError } from '@podstage/grpc';
import { requireContainer } from '../state.js';
import type { Rpc } from './types.js';

/** The command in the container through its stage1's enter, output collected; `timeout` seconds (0: none). */
export const ExecSync: Rpc = async (ctx, req: { container_id: string; cmd: string[]; timeout: string }) => {
  if (req.cmd.length === 0) throw new GrpcError(status.INVALID_ARGUMENT, 'cmd: expected a command');
  const c = requireContainer(ctx.dataDir, req.container_id);
  if (c.state !== 'CONTAINER_RUNNING') throw new GrpcError(status.FAILED_PRECONDITION, `container ${c.id} is not running`);
  const timeoutMs = Number(req.timeout) * 1000;
  const r = await execInPod(ctx.dataDir, ctx.stage1s, c.sandbox.ref.uuid, { app: c.app.name, command: req.cmd, timeoutMs });
  if (r.timedOut) throw new GrpcError(status.DEADLINE_EXCEEDED, `command ${JSON.stringify(req.cmd)} timed out after ${req.timeout} s`);
  return { stdout: r.stdout, stderr: r.stderr, exit_code: r.exitCode };
};
