import { controlApp } from '@podstage/runtime';
import { findContainer } from '../state.js';
import type { Rpc } from './types.js';

/** SIGTERM, then SIGKILL once `timeout` seconds passed (the pod's terminationGracePeriodSeconds; at once for 0); a missing or exited container is no error. */
export const StopContainer: Rpc = async (ctx, req: { container_id: string; timeout: string }) => {
  const c = findContainer(ctx.dataDir, req.container_id);
  if (c === undefined || c.state !== 'CONTAINER_RUNNING' || !c.sandbox.ready) return {};
  await controlApp(ctx.dataDir, ctx.stage1s, c.sandbox.ref.uuid, 'stop', c.app.name, { gracePeriodSeconds: Math.max(0, Number(req.timeout)) });
  return {};
};
