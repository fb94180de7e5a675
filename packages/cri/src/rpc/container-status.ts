import { containerStatus } from '../messages-out.js';
import { requireContainer } from '../state.js';
import type { Rpc } from './types.js';

export const ContainerStatus: Rpc = async (ctx, req: { container_id: string }) => {
  const c = requireContainer(ctx.dataDir, req.container_id);
  return { status: containerStatus(c), info: {} };
};
