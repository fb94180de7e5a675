/**
 * Start to ready, then stop: a long-running app (`benchload ready`) that
 * signals readiness by creating a file in a volume; the time until the file
 * appears, then the time `podstage stop` (or the isolator's own stop) takes
 * until the pod has exited.
 */
import { join } from 'node:path';
import { msSince } from '../command.js';
import { benchOutDir, type BenchContext, POD_BIN, POD_OUT } from '../context.js';
import { backgroundIsolators, startIsolator } from '../isolators.js';
import { startReadyPod, stopPod, waitForFile } from '../pods.js';
import type { ScenarioResult } from '../report.js';
import { type Measurement, type Plan, runScenario, type ScenarioInfo, type Variant } from '../run.js';

export const INFO: ScenarioInfo = {
  id: 'ready-stop',
  title: 'Start to ready, and stop',
  description: 'A long-running app, in a detached pod (run -d) or container, that signals readiness by creating a file in a volume: the time from the command until the file exists, then the time to stop the pod (SIGTERM to the app) until it has exited.',
  metrics: [
    { id: 'ready', label: 'start to ready', unit: 'ms', ratios: true },
    { id: 'stop', label: 'stop', unit: 'ms', ratios: true },
  ],
};

export function plan(ctx: BenchContext): Plan {
  const variants: Variant[] = ctx.targets.map((t): Variant => ({
    id: t.id, label: t.label, kind: 'podstage', rawIsolator: t.rawIsolator,
    async measure() {
      const pod = await startReadyPod(ctx, t);
      return { values: { ready: pod.readyMs, stop: await stopPod(ctx, pod) } };
    },
  }));
  const { isolators, skipped } = backgroundIsolators(ctx, INFO.id);
  for (const iso of isolators) {
    variants.push({
      id: iso.id, label: iso.label, kind: 'baseline',
      async measure(i): Promise<Measurement> {
        const running = await startIsolator(ctx, iso, i);
        return { values: { ready: running.readyMs, stop: await running.stop() } };
      },
    });
  }
  const out = benchOutDir(ctx);
  const program = `${POD_BIN}/benchload`;
  for (const p of ctx.peers) {
    variants.push({
      id: p.id, label: p.label, kind: 'peer',
      async measure(i) {
        const token = `ready-${p.id}-${i}`;
        const start = process.hrtime.bigint();
        const name = await p.start(i, [program, 'ready', `${POD_OUT}/${token}`]);
        await waitForFile(join(out, token), undefined, () => '');
        const ready = msSince(start);
        const stopStart = process.hrtime.bigint();
        await p.stop(name);
        return { values: { ready, stop: msSince(stopStart) } };
      },
    });
  }
  return { variants, skipped, notes: ctx.peers.flatMap((p) => p.notes) };
}

export const run = (ctx: BenchContext): Promise<ScenarioResult> => runScenario(INFO, plan(ctx), ctx.run);
