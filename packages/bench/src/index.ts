/**
 * @podstage/bench: what each isolation level costs on this machine, next to
 * the raw isolators, Node itself and the peers (podman, ctr) where installed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeCgroupTrees } from '@podstage/linux';
import { BENCH_CGROUP, type BenchContext, type KvmFacts } from './context.js';
import { hostFacts } from './host-facts.js';
import { detectPeers } from './peers.js';
import { stopContainerd } from './peers/containerd.js';
import { removeBenchPods } from './pods.js';
import { type BenchReport, type ScenarioResult, validateReport } from './report.js';
import type { RunOptions } from './run.js';
import * as coldStart from './scenarios/cold-start.js';
import * as cri from './scenarios/cri.js';
import * as density from './scenarios/density.js';
import * as memory from './scenarios/memory.js';
import * as readyStop from './scenarios/ready-stop.js';
import * as steadyState from './scenarios/steady-state.js';
import { podstageTargets } from './targets.js';

export { REPORT_SCHEMA, validateReport, type BenchReport, type MetricDef, type ScenarioResult, type VariantResult } from './report.js';
export { interleave, median, pairedDifferences, pairedRatios, percentile, summarize, type Summary } from './stats.js';
export { PEER_NAMES } from './peers.js';
export { belongingPids, memoryTotals, ownedPids, parseCgroups, parseSmapsRollup, parseStat, type ProcEntry } from './processes.js';
export type { KvmFacts } from './context.js';
export { STAGE1_NAMES } from './targets.js';

interface Scenario {
  INFO: { id: string; title: string };
  run(ctx: BenchContext): Promise<ScenarioResult>;
}

/** Every scenario, in the order they run. */
const SCENARIOS: readonly Scenario[] = [coldStart, readyStop, memory, density, steadyState, cri];
export const SCENARIO_IDS = SCENARIOS.map((s) => s.INFO.id);

export interface BenchOptions {
  /** Everything the bench needs to know about stage1-kvm, given by the caller (the CLI is the only importer of built-in stage1s). */
  kvmFacts?: KvmFacts;
  cli: string;
  dataDir: string;
  image: string;
  stage1s: readonly string[];
  scenarios: readonly string[];
  peers: readonly string[];
  densities: readonly number[];
  runs: number;
  warmup: number;
  quick: boolean;
  onScenario?: (id: string, title: string) => void;
  onStep?: RunOptions['onStep'];
}

export async function runBench(o: BenchOptions): Promise<BenchReport> {
  const started = Date.now();
  const workDir = mkdtempSync(join(tmpdir(), 'podstage-bench-'));
  const run: RunOptions = { runs: o.runs, warmup: o.warmup, ...(o.onStep ? { onStep: o.onStep } : {}) };
  const ctx: BenchContext = {
    cli: o.cli, dataDir: o.dataDir, image: o.image, workDir, targets: podstageTargets(o.stage1s), peers: [], run,
    densities: [...o.densities], quick: o.quick, ...(o.kvmFacts ? { kvm: o.kvmFacts } : {}),
  };
  const { peers, skipped } = detectPeers(ctx, o.peers);
  ctx.peers = peers;
  try {
    const scenarios: ScenarioResult[] = [];
    for (const s of SCENARIOS.filter((x) => o.scenarios.includes(x.INFO.id))) {
      o.onScenario?.(s.INFO.id, s.INFO.title);
      const scenarioStarted = Date.now();
      const result = await s.run(ctx);
      result.durationS = (Date.now() - scenarioStarted) / 1000; // with its fixtures, which runScenario does not see
      result.skipped.push(...skipped);
      scenarios.push(result);
    }
    const report: BenchReport = {
      version: 2, startedAt: new Date(started).toISOString(), durationS: (Date.now() - started) / 1000, host: await hostFacts(o.kvmFacts?.accel ?? 'unknown'),
      options: { runs: o.runs, warmup: o.warmup, quick: o.quick, stage1s: [...o.stage1s], scenarios: [...o.scenarios], peers: [...o.peers], densities: [...o.densities] },
      scenarios,
    };
    validateReport(report);
    return report;
  } finally {
    removeBenchPods(ctx);
    for (const p of ctx.peers) p.cleanUp();
    await stopContainerd(ctx);
    removeCgroupTrees(BENCH_CGROUP);
    rmSync(workDir, { recursive: true, force: true });
  }
}
