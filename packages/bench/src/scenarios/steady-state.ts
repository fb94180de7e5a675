/**
 * Steady state: what running inside a pod costs an app once it runs. The
 * same static program (`benchload steady`) times a CPU-bound loop, a syscall
 * loop, and writing a file to the pod's root file system and to a volume, in
 * every pod, under runc on its own, in the peers, and directly on the host
 * (the reference every ratio is taken to).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { benchBinDir, benchOutDir, type BenchContext, ociBundle, POD_BIN, POD_OUT } from '../context.js';
import { podRunArgv } from '../pods.js';
import type { ScenarioResult } from '../report.js';
import { type Measurement, type Plan, type RunOptions, runScenario, type ScenarioInfo, type Variant } from '../run.js';
import { onPath } from '../targets.js';
import { runCommand } from '../command.js';

export const INFO: ScenarioInfo = {
  id: 'steady-state',
  title: 'Steady state',
  description: 'One run of the same static program per pod, timed with its own CLOCK_MONOTONIC (checked against the host\'s): a fixed CPU-bound loop, getppid through syscall(2), '
    + 'and a file written in 1 MiB blocks and fsynced to the root file system and to a volume (then read back and checked, untimed); `host` runs it with no isolation.',
  metrics: [
    { id: 'cpu', label: 'CPU loop', unit: 'ms', ratios: true },
    { id: 'syscall', label: 'getppid', unit: 'ns/call', ratios: true },
    { id: 'rootfs-write', label: 'rootfs write+fsync', unit: 's/GiB', ratios: true },
    { id: 'volume-write', label: 'volume write+fsync', unit: 's/GiB', ratios: true },
  ],
};

interface Workload {
  /** Rounds of xorshift64* with a table update (~2.4 ns each on this 2.6 GHz Xeon). */
  cpuRounds: number;
  syscalls: number;
  /** The size of each file written. */
  ioMiB: number;
}

/** ~190 ms of CPU and ~18 ms of syscalls on the host; quick halves them (the kvm guests' boots dominate its budget). */
const FULL: Workload = { cpuRounds: 80_000_000, syscalls: 200_000, ioMiB: 32 };
const QUICK: Workload = { cpuRounds: 40_000_000, syscalls: 100_000, ioMiB: 16 };
/**
 * Quick: 2 runs, no warm-up. A kvm pod boots for 2–4 s here, and what this
 * scenario times runs inside the program after the boot: a first run showed
 * no start-up penalty on any variant, so a warm-up round would only cost time.
 */
const QUICK_RUNS = 2;
const QUICK_WARMUP = 0;

/**
 * How far the pod's clock may drift from the host's over one run before its
 * times are corrected: beyond what file times 4 ms apart can tell on a span of
 * ~140 ms (quick, on the host), well below a guest kernel's wrong TSC rate.
 */
const CLOCK_TOLERANCE = 0.1;

/** benchload's JSON line (times by the pod's own clock). */
interface SteadyLine {
  span_ms: number;
  /** The smallest step the pod's CLOCK_MONOTONIC made: a guest kernel on jiffies ticks every 4 ms. */
  clock_step_ns: number;
  cpu_ms: number;
  syscall_ns: number;
  io_mib: number;
  /** null: the root file system is read-only. */
  rootfs_write_ms: number | null;
  rootfs_fs: string;
  volume_write_ms: number;
  volume_fs: string;
}

/** What a variant's runs showed besides the metrics, for the notes. */
interface Seen {
  /** The pod's clock over the host's, per run. */
  clockRates: number[];
  /** The pod's clock's smallest step, per run. */
  clockStepNs: number[];
  fs?: string;
  readOnlyRoot?: boolean;
}

/** A clock that steps by more than this is a tick counter (jiffies), not a clock source. */
const FINE_CLOCK_NS = 10_000;

const outside = (rate: number) => Math.abs(rate - 1) > CLOCK_TOLERANCE;

const args = (w: Workload) => [String(w.cpuRounds), String(w.syscalls), String(w.ioMiB)];

/** `benchload steady` as a pod runs it: the result in the volume, its root file system at /. */
const podArgs = (w: Workload, result: string) => [`${POD_BIN}/benchload`, 'steady', `${POD_OUT}/${result}`, '/', POD_OUT, ...args(w)];

/** Where a variant's benchload writes its results, in the out directory. */
const resultFile = (id: string) => `steady-${id}.json`;

/** ms for `mib` MiB → seconds per GiB. */
const perGiB = (ms: number, mib: number) => (ms / 1000) * (1024 / mib);

/** A file's modification time on the host's clock, in ms. */
const mtimeMs = (file: string) => Number(statSync(file, { bigint: true }).mtimeNs) / 1e6;

/**
 * Run `argv` (which runs `benchload steady` writing `result` in the out
 * directory) to its exit; the span from RESULT.begin to RESULT.end by the
 * host's clock, from their modification times (4 ms apart at worst here: the
 * kernel's coarse clock), which no scheduling delay of ours can skew.
 */
async function runObserved(argv: string[], result: string): Promise<{ line: SteadyLine; hostSpanMs: number }> {
  const files = [result, `${result}.begin`, `${result}.end`];
  for (const f of files) rmSync(f, { force: true });
  await runCommand(argv);
  const line = JSON.parse(readFileSync(result, 'utf8')) as SteadyLine;
  const hostSpanMs = mtimeMs(`${result}.end`) - mtimeMs(`${result}.begin`);
  for (const f of files) rmSync(f, { force: true });
  return { line, hostSpanMs };
}

/** A variant whose `argv(result, i)` runs `benchload steady` writing `result` in the out directory. */
function steadyVariant(ctx: BenchContext, seen: Map<string, Seen>, id: string, label: string, kind: Variant['kind'], argv: (result: string, i: number) => string[]): Variant {
  const result = resultFile(id);
  return {
    id, label, kind,
    async measure(i): Promise<Measurement> {
      const { line, hostSpanMs } = await runObserved(argv(result, i), join(benchOutDir(ctx), result));
      const rate = hostSpanMs > 0 ? line.span_ms / hostSpanMs : 1;
      const s = seen.get(id) ?? { clockRates: [], clockStepNs: [] };
      s.clockRates.push(rate);
      s.clockStepNs.push(line.clock_step_ns);
      s.fs = `rootfs ${line.rootfs_fs}, volume ${line.volume_fs}`;
      s.readOnlyRoot = line.rootfs_write_ms === null;
      seen.set(id, s);
      // A pod's clock that runs fast or slow (a guest kernel's) would skew every figure: take the host's.
      const scale = outside(rate) ? 1 / rate : 1;
      const values: Record<string, number> = {
        cpu: line.cpu_ms * scale,
        syscall: line.syscall_ns * scale,
        'volume-write': perGiB(line.volume_write_ms * scale, line.io_mib),
      };
      if (line.rootfs_write_ms !== null) values['rootfs-write'] = perGiB(line.rootfs_write_ms * scale, line.io_mib);
      return { values };
    },
  };
}

export function plan(ctx: BenchContext, w: Workload, hostRoot: string, seen: Map<string, Seen>): Plan {
  const variants: Variant[] = ctx.targets.map((t) => steadyVariant(ctx, seen, t.id, t.label, 'podstage', (result) => podRunArgv(ctx, t, podArgs(w, result))));
  const skipped: Plan['skipped'] = [];
  const out = benchOutDir(ctx);
  variants.push(steadyVariant(ctx, seen, 'host', 'host (no isolation)', 'baseline',
    (result) => [join(benchBinDir(ctx), 'benchload'), 'steady', join(out, result), hostRoot, out, ...args(w)]));
  if (onPath('runc')) {
    const bundle = ociBundle(ctx, 'steady-state', podArgs(w, resultFile('runc')));
    variants.push(steadyVariant(ctx, seen, 'runc', 'runc run', 'baseline', (_r, i) => ['runc', 'run', '-b', bundle, `podstage-bench-${process.pid}-steady-${i}`]));
  } else skipped.push({ id: 'runc', reason: 'runc is not installed (apt-get install runc)' });
  for (const p of ctx.peers) variants.push(steadyVariant(ctx, seen, p.id, p.label, 'peer', (result, i) => p.runArgv(i, podArgs(w, result))));
  return { variants, skipped, notes: ctx.peers.flatMap((p) => p.notes) };
}

function seenNotes(seen: Map<string, Seen>): string[] {
  const notes: string[] = [];
  const entries = [...seen.entries()];
  notes.push(`file systems: ${entries.map(([id, s]) => `${id} ${s.fs}`).join('; ')}`);
  for (const [id, s] of entries) {
    const n = s.clockRates.length;
    const corrected = s.clockRates.filter(outside).length;
    if (corrected > 0) {
      const range = [...new Set([Math.min(...s.clockRates), Math.max(...s.clockRates)].map((r) => r.toFixed(2)))].join('–');
      notes.push(`${id}: its clock ran ${range}× as fast as the host's; ${corrected} of ${n} runs corrected to the host's clock`);
    }
    const coarse = s.clockStepNs.filter((r) => r > FINE_CLOCK_NS);
    if (coarse.length > 0) {
      notes.push(`${id}: its clock ticked every ${(Math.max(...coarse) / 1e6).toFixed(1)} ms in ${coarse.length} of ${n} runs (a guest kernel on jiffies): those figures are ± one tick`);
    }
    if (s.readOnlyRoot) notes.push(`${id}: its root file system is read-only: no rootfs I/O`);
  }
  return notes;
}

export async function run(ctx: BenchContext): Promise<ScenarioResult> {
  const w = ctx.quick ? QUICK : FULL;
  const runs: RunOptions = ctx.quick ? { ...ctx.run, runs: Math.min(ctx.run.runs, QUICK_RUNS), warmup: QUICK_WARMUP } : ctx.run;
  // The host's file goes where the pods' root file systems are: on the data directory's file system.
  mkdirSync(join(ctx.dataDir, 'tmp'), { recursive: true });
  const hostRoot = mkdtempSync(join(ctx.dataDir, 'tmp', 'bench-steady-'));
  const seen = new Map<string, Seen>();
  try {
    const result = await runScenario(INFO, plan(ctx, w, hostRoot, seen), runs);
    result.notes.push(
      `workload: ${w.cpuRounds / 1e6}M rounds of xorshift64* and a table update, ${w.syscalls / 1000}k getppid, ${w.ioMiB} MiB files; ${runs.runs} runs after ${runs.warmup} warm-up`,
      ...seenNotes(seen),
    );
    return result;
  } finally {
    rmSync(hostRoot, { recursive: true, force: true });
  }
}
