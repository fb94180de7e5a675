import { status } from '@grpc/grpc-js';
import { GrpcError } from '@podstage/grpc';
import { requireSandbox } from '../state.js';
import { streamingUrl } from './streaming-url.js';
import type { Rpc } from './types.js';

/** A URL of the streaming server that forwards connections to the sandbox's localhost ports (`port`: the allowed ones, all when empty). */
export const PortForward: Rpc = async (ctx, req: { pod_sandbox_id: string; port: number[] }) => {
  const sandbox = requireSandbox(ctx.dataDir, req.pod_sandbox_id);
  if (!sandbox.ready) throw new GrpcError(status.FAILED_PRECONDITION, `pod sandbox ${sandbox.ref.uuid} is not ready`);
  const bad = req.port.find((p) => !Number.isInteger(p) || p < 1 || p > 65535);
  if (bad !== undefined) throw new GrpcError(status.INVALID_ARGUMENT, `port: ${bad} is not a TCP port`);
  return streamingUrl(ctx, { kind: 'portforward', sandboxId: sandbox.ref.uuid, ports: req.port });
};
