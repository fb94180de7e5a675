import { discardPod, prepare, startDetached } from '@podstage/runtime';
import { reserveSandboxName } from '../sandbox-names.js';
import { sandboxPlan } from '../sandbox-spec.js';
import type { Rpc } from './types.js';

/** An empty mutable pod, started detached under the stage1 the pod chose; its UUID is the sandbox id. */
export const RunPodSandbox: Rpc = async (ctx, req: { config: Parameters<typeof sandboxPlan>[1]; runtime_handler: string }) => {
  const plan = sandboxPlan(ctx, req.config, req.runtime_handler);
  const release = reserveSandboxName(ctx.dataDir, plan.record.metadata);
  try {
    const prepared = await prepare({ spec: plan.spec }, { dataDir: ctx.dataDir, store: ctx.store, stage1s: ctx.stage1s, fetch: ctx.fetch, ...plan.options });
    try {
      const started = await startDetached(ctx.dataDir, ctx.stage1s, prepared.ref, { configDir: ctx.configDir, interactive: false, debug: false }, { held: prepared.lock });
      return { pod_sandbox_id: started.uuid };
    } catch (err) {
      if (prepared.ref.dir === 'prepared') await discardPod(ctx.dataDir, prepared).catch(() => undefined);
      throw err;
    }
  } finally {
    release();
  }
};
