import { controlApp } from '@podstage/runtime';
import { requireContainer } from '../state.js';
import type { Rpc } from './types.js';

export const StartContainer: Rpc = async (ctx, req: { container_id: string }) => {
  const c = requireContainer(ctx.dataDir, req.container_id);
  await controlApp(ctx.dataDir, ctx.stage1s, c.sandbox.ref.uuid, 'start', c.app.name);
  return {};
};
