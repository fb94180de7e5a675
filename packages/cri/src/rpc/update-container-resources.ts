import { status } from '@grpc/grpc-js';
import { updateAppResources, type AppResources } from '@podstage/runtime';
import { GrpcError } from '@podstage/grpc';
import type { LinuxContainerResources } from '../messages.js';
import { requireContainer } from '../state.js';
import type { Rpc } from './types.js';

/** The CRI's cgroup figures as the app's resource isolators; a figure of 0 leaves that resource as it is. */
function appResources(r: LinuxContainerResources): AppResources {
  const out: AppResources = {};
  const memory = Number(r.memory_limit_in_bytes);
  if (memory > 0) out.memory = { request: String(memory), limit: String(memory) };
  const quota = Number(r.cpu_quota);
  const period = Number(r.cpu_period);
  const shares = Number(r.cpu_shares);
  const limit = quota > 0 && period > 0 ? `${Math.ceil((quota * 1000) / period)}m` : undefined;
  const request = shares > 0 ? `${Math.max(1, Math.round((shares * 1000) / 1024))}m` : undefined;
  if (limit !== undefined || request !== undefined) out.cpu = { ...(request === undefined ? {} : { request }), ...(limit === undefined ? {} : { limit }) };
  return out;
}

/** New CPU and memory limits for a running container: its cgroup now, its manifest for its next start. */
export const UpdateContainerResources: Rpc = async (ctx, req: { container_id: string; linux: LinuxContainerResources | null }) => {
  if (req.linux === null) throw new GrpcError(status.INVALID_ARGUMENT, 'linux: expected the container\'s Linux resources');
  const c = requireContainer(ctx.dataDir, req.container_id);
  await updateAppResources(ctx.dataDir, ctx.stage1s, c.sandbox.ref.uuid, c.app.name, appResources(req.linux));
  return {};
};
