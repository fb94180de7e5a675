/**
 * Density: N pods started at once, per stage1 and peer. How long until all
 * are ready, how many never get there, what each one costs the host in
 * memory and in resident Node processes; then all are stopped at once and
 * none may be left running.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { BenchContext } from '../context.js';
import type { Peer } from '../peers.js';
import { msSince, runCommand } from '../command.js';
import { savedPodUuids, startReadyPeer, startReadyPod, stopPod } from '../pods.js';
import { belongingPids, type Owner, podCgroupMemoryMiB, type ProcEntry, readProcessTable, weigh } from '../processes.js';
import type { MetricDef, ScenarioResult, Skipped } from '../report.js';
import { type Plan, runScenario, type ScenarioInfo, type Variant } from '../run.js';
import type { PodstageTarget } from '../targets.js';

/** The metrics of one N; the report holds them once per N as `<id>@<N>` (total@10, total@50, …). */
export const INFO: ScenarioInfo = {
  id: 'density',
  title: 'Density',
  description: 'N pods of benchload ready started at once (metric ids carry N: total@10 …): the time until all are ready or failed, '
    + 'how many did not get ready, the PSS of their host processes (apps excluded) and the resident Node processes per ready pod; '
    + 'then all are stopped at once and none may be left running. One run without warm-up whatever --runs says (each N is heavy). '
    + 'An N whose pods would need more than 70% of MemAvailable (from the smaller N, or one probe pod) is skipped. '
    + 'With --quick under TCG, kvm starts as many pods at once as the host has cores.',
  metrics: [
    { id: 'total', label: 'all ready', unit: 'ms', ratios: true },
    { id: 'failures', label: 'not ready', unit: 'pods', ratios: false },
    { id: 'pss-per-pod', label: 'PSS per pod', unit: 'MiB', ratios: true },
    { id: 'node', label: 'Node processes per pod', unit: 'count', ratios: false },
  ],
};

export const metricId = (id: string, n: number) => `${id}@${n}`;

/** The densities smallest first (a smaller N's figures estimate a larger N's memory), each once. */
const ascending = (densities: readonly number[]): number[] => [...new Set(densities)].sort((a, b) => a - b);

/** INFO's metrics once per N. */
export const densityMetrics = (densities: readonly number[]): MetricDef[] =>
  ascending(densities).flatMap((n) => INFO.metrics.map((m) => ({ ...m, id: metricId(m.id, n), label: `${m.label} (${n} pods)` })));

/** The share of MemAvailable N pods may take. */
const MEMORY_SHARE = 0.7;
/** Per pod, before anything was measured: more than any stage1 holds here (kvm under TCG: 100–220 MiB of QEMU). */
const PRIOR_MIB_PER_POD = 512;

const memAvailableMiB = (): number => Number(/^MemAvailable:\s+(\d+) kB$/m.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? 0) / 1024;

/** One pod or container, ready. */
interface Started {
  /** Whose processes to weigh, asked once all N are ready (a peer's may block on a command). */
  owner(): Owner;
  /** Its own accounting, where it has one (a podstage pod's cgroup). */
  cgroupMiB(): number | undefined;
  stop(): Promise<unknown>;
  /** Its processes still alive in `table` (its apps included). */
  left(table: readonly ProcEntry[]): number[];
}

/** How a variant starts one of its N. */
type Starter = () => Promise<Started>;

function podStarter(ctx: BenchContext, t: PodstageTarget): Starter {
  return async () => {
    const pod = await startReadyPod(ctx, t);
    return {
      owner: () => ({ roots: [pod.pid], uuid: pod.name }),
      cgroupMiB: () => podCgroupMemoryMiB(pod.name),
      stop: () => stopPod(ctx, pod),
      left: (table) => belongingPids(table, { roots: [], uuid: pod.name }),
    };
  };
}

function peerStarter(ctx: BenchContext, p: Peer): Starter {
  let started = 0;
  return async () => {
    const i = started++;
    const name = await startReadyPeer(ctx, p, i, `${INFO.id}-${p.id}-${i}`);
    const monitors = () => { try { return p.monitorPids(name); } catch { return []; } };
    return { owner: () => ({ roots: monitors() }), cgroupMiB: () => undefined, stop: () => p.stop(name), left: (table) => belongingPids(table, { roots: monitors() }) };
  };
}

interface Round {
  values: Record<string, number>;
  /** What one pod took (MiB): the estimate for a larger N. */
  perPodMiB?: number;
}

/** Start N at once, weigh them, stop them all at once, and make sure nothing is left. */
async function round(ctx: BenchContext, n: number, start: Starter): Promise<Round> {
  const before = new Set(savedPodUuids(ctx));
  const t0 = process.hrtime.bigint();
  const settled = await Promise.allSettled(Array.from({ length: n }, () => start()));
  const total = msSince(t0);
  const up = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const values: Record<string, number> = { [metricId('total', n)]: total, [metricId('failures', n)]: n - up.length };
  let perPodMiB: number | undefined;
  if (up.length > 0) {
    const { totals } = weigh(up.map((s) => s.owner()));
    const cgroups = up.map((s) => s.cgroupMiB() ?? 0).reduce((a, b) => a + b, 0);
    values[metricId('pss-per-pod', n)] = totals.pssMiB / up.length;
    values[metricId('node', n)] = totals.node / up.length;
    perPodMiB = Math.max(totals.pssMiB, cgroups) / up.length;
  }
  const stops = await Promise.allSettled(up.map((s) => s.stop()));
  const stopErrors = stops.flatMap((s) => (s.status === 'rejected' ? [String(s.reason)] : []));
  await ensureNoneLeft(ctx, up, before);
  if (stopErrors.length > 0) throw new Error(`${stopErrors.length} of ${up.length} stops failed: ${stopErrors[0]}`);
  return { values, ...(perPodMiB === undefined ? {} : { perPodMiB }) };
}

/**
 * Force-stop the pods of this round still running (a pod that failed to get ready may have
 * left its sandbox or VMM behind); throws when one that was stopped cleanly is still there.
 */
async function ensureNoneLeft(ctx: BenchContext, up: readonly Started[], before: ReadonlySet<string>): Promise<void> {
  const table = readProcessTable();
  const leftUp = up.filter((s) => s.left(table).length > 0);
  const leftPods = savedPodUuids(ctx).filter((u) => !before.has(u) && belongingPids(table, { roots: [], uuid: u }).length > 0);
  if (leftPods.length > 0) await runCommand([ctx.cli, `--dir=${ctx.dataDir}`, 'stop', '--force', ...leftPods]);
  if (leftUp.length > 0) throw new Error(`${leftUp.length} of ${up.length} still running after stop: pids ${leftUp.flatMap((s) => s.left(table)).join(', ')}`);
}

function variant(ctx: BenchContext, base: Omit<Variant, 'measure'>, densities: readonly number[], start: Starter, skipped: Skipped[]): Variant {
  const skip = (n: number, reason: string) => skipped.push({ id: metricId(base.id, n), reason });
  return {
    ...base,
    async measure() {
      const values: Record<string, number> = {};
      let perPodMiB: number | undefined;
      for (const n of densities) {
        const availableMiB = memAvailableMiB();
        if (perPodMiB === undefined && n * PRIOR_MIB_PER_POD > availableMiB * MEMORY_SHARE) {
          perPodMiB = (await round(ctx, 1, start)).perPodMiB;
          if (perPodMiB === undefined) {
            skip(n, 'no memory estimate: the probe pod did not get ready');
            continue;
          }
        }
        if (perPodMiB !== undefined && n * perPodMiB > availableMiB * MEMORY_SHARE) {
          skip(n, `${n} pods × ${perPodMiB.toFixed(0)} MiB would need more than ${MEMORY_SHARE * 100}% of MemAvailable (${availableMiB.toFixed(0)} MiB)`);
          continue;
        }
        const r = await round(ctx, n, start);
        Object.assign(values, r.values);
        perPodMiB = r.perPodMiB ?? perPodMiB;
      }
      return { values };
    },
  };
}

/** Guests that boot on the host's CPU (TCG): N of them at once take tens of seconds on a few cores. */
const emulatedGuests = (ctx: BenchContext, t: PodstageTarget): boolean =>
  t.podFlags.includes('--stage1-name=kvm') && (ctx.kvm?.accel.startsWith('tcg') ?? false);

/** The N a target starts at once: with --quick, emulated guests only as many as the host has cores. */
function targetDensities(ctx: BenchContext, t: PodstageTarget): number[] {
  const all = ascending(ctx.densities);
  return ctx.quick && emulatedGuests(ctx, t) ? [Math.min(availableParallelism(), all[0] ?? 1)] : all;
}

export function plan(ctx: BenchContext): Plan {
  const skipped: Skipped[] = [];
  const notes = ctx.peers.flatMap((p) => p.notes);
  for (const t of ctx.targets) {
    const [n] = targetDensities(ctx, t);
    if (!ascending(ctx.densities).includes(n ?? 0)) notes.push(`${t.id}: --quick under TCG: ${n} pods at once (as many as cores), each guest kernel boots on the host CPU`);
  }
  const variants = [
    ...ctx.targets.map((t) => variant(ctx, { id: t.id, label: t.label, kind: 'podstage' }, targetDensities(ctx, t), podStarter(ctx, t), skipped)),
    ...ctx.peers.map((p) => variant(ctx, { id: p.id, label: p.label, kind: 'peer' }, ascending(ctx.densities), peerStarter(ctx, p), skipped)),
  ];
  return { variants, skipped, notes };
}

/** Every N some variant starts. */
const allDensities = (ctx: BenchContext): number[] => ascending([...ctx.densities, ...ctx.targets.flatMap((t) => targetDensities(ctx, t))]);

export const run = (ctx: BenchContext): Promise<ScenarioResult> =>
  runScenario({ ...INFO, metrics: densityMetrics(allDensities(ctx)) }, plan(ctx), { ...ctx.run, runs: 1, warmup: 0 });
