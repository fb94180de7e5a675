import { controlApp } from '@podstage/runtime';
import { removeContainerLogs } from '../logs.js';
import { findContainer } from '../state.js';
import type { Rpc } from './types.js';

/** Force-stops a running container and removes it from its sandbox; a missing one is no error. */
export const RemoveContainer: Rpc = async (ctx, req: { container_id: string }) => {
  const c = findContainer(ctx.dataDir, req.container_id);
  if (c === undefined) return {};
  // A sandbox that is not running any more keeps its containers until it is removed itself.
  if (!c.sandbox.ready) return {};
  if (c.state === 'CONTAINER_RUNNING') await controlApp(ctx.dataDir, ctx.stage1s, c.sandbox.ref.uuid, 'stop', c.app.name, { force: true });
  removeContainerLogs(c.sandbox, c);
  await controlApp(ctx.dataDir, ctx.stage1s, c.sandbox.ref.uuid, 'rm', c.app.name);
  return {};
};
