/**
 * Memory of an idle pod: the host processes a running pod adds besides its
 * app (monitors, supervisors, runtimes, a VMM) and what they hold, next to the
 * same app under raw systemd-nspawn and runc run and under the peers.
 */
import type { BenchContext } from '../context.js';
import { backgroundIsolators, startIsolator } from '../isolators.js';
import { startReadyPeer, startReadyPod, stopPod } from '../pods.js';
import { type Owner, podCgroupMemoryMiB, weigh } from '../processes.js';
import type { ScenarioResult } from '../report.js';
import { type Measurement, type Plan, type RunOptions, runScenario, type ScenarioInfo, type Variant } from '../run.js';

export const INFO: ScenarioInfo = {
  id: 'memory',
  title: 'Memory of an idle pod',
  description: 'The host processes a detached pod (run -d, as the peers run theirs) adds once its app (benchload ready, itself excluded) is ready and idle: '
    + 'the PSS and RSS of each from /proc/PID/smaps_rollup, the pod cgroup\'s own accounting where the stage1 has one '
    + '(it includes the app and page cache), and how many Node processes stay resident; next to the same app under raw '
    + 'systemd-nspawn and runc run, and the peers\' monitors. --quick measures one run without warm-up.',
  metrics: [
    { id: 'pss', label: 'PSS', unit: 'MiB', ratios: true },
    { id: 'rss', label: 'RSS', unit: 'MiB', ratios: true },
    { id: 'cgroup', label: 'pod cgroup', unit: 'MiB', ratios: false },
    { id: 'node', label: 'Node processes', unit: 'count', ratios: false },
  ],
};

/** The owner's processes now: each one's memory, and the totals as metric values. */
function measureOwner(owner: Owner): Measurement {
  const { processes, totals } = weigh([owner]);
  return { values: { pss: totals.pssMiB, rss: totals.rssMiB, node: totals.node }, processes };
}

export function plan(ctx: BenchContext): Plan {
  const variants: Variant[] = ctx.targets.map((t): Variant => ({
    id: t.id, label: t.label, kind: 'podstage',
    async measure() {
      const pod = await startReadyPod(ctx, t);
      try {
        // Weighed as soon as the app is ready: the RSS of every stage1's processes is flat from then on.
        const m = measureOwner({ roots: [pod.pid], uuid: pod.name });
        const cgroup = podCgroupMemoryMiB(pod.name);
        return cgroup === undefined ? m : { ...m, values: { ...m.values, cgroup } };
      } finally {
        await stopPod(ctx, pod);
      }
    },
  }));
  const { isolators, skipped } = backgroundIsolators(ctx, INFO.id);
  for (const iso of isolators.filter((x) => x.id !== 'chroot')) {
    variants.push({
      id: iso.id, label: iso.label, kind: 'baseline',
      async measure(i) {
        const running = await startIsolator(ctx, iso, i);
        try {
          return measureOwner({ roots: [running.child.pid ?? -1] });
        } finally {
          await running.stop();
        }
      },
    });
  }
  for (const p of ctx.peers) {
    variants.push({
      id: p.id, label: p.label, kind: 'peer',
      async measure(i) {
        const name = await startReadyPeer(ctx, p, i, `${INFO.id}-${p.id}-${i}`);
        try {
          return measureOwner({ roots: p.monitorPids(name) });
        } finally {
          await p.stop(name);
        }
      },
    });
  }
  return { variants, skipped, notes: ctx.peers.flatMap((p) => p.notes) };
}

/** --quick weighs once: memory hardly varies from run to run, pod starts cost seconds. */
const runOptions = (ctx: BenchContext): RunOptions => (ctx.quick ? { ...ctx.run, runs: 1, warmup: 0 } : ctx.run);

export const run = (ctx: BenchContext): Promise<ScenarioResult> => runScenario(INFO, plan(ctx), runOptions(ctx));
