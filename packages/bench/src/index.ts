/**
 * @podstage/bench: what each isolation level costs on this machine, next to
 * the raw isolators and Node itself. Scenarios so far: cold start to exit.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostFacts } from './host-facts.js';
import { validateReport, type BenchReport } from './report.js';
import { runScenario } from './run.js';
import { cleanUpColdStart, coldStartVariants } from './scenarios/cold-start.js';

export { REPORT_SCHEMA, validateReport, type BenchReport, type ScenarioResult, type VariantResult } from './report.js';
export { interleave, median, pairedRatios, percentile, summarize, type Summary } from './stats.js';

export interface BenchOptions {
  cli: string;
  dataDir: string;
  image: string;
  stage1s: readonly string[];
  runs: number;
  warmup: number;
  onStep?: (done: number, total: number, variant: string) => void;
}

export async function runBench(o: BenchOptions): Promise<BenchReport> {
  const startedAt = new Date().toISOString();
  const workDir = mkdtempSync(join(tmpdir(), 'podstage-bench-'));
  try {
    const setup = { cli: o.cli, dataDir: o.dataDir, image: o.image, stage1s: o.stage1s, workDir };
    const { variants, skipped } = coldStartVariants(setup);
    let coldStart;
    try {
      coldStart = runScenario('cold-start', 'Cold start to exit (run … -- /bin/true)', variants, skipped, {
        runs: o.runs, warmup: o.warmup, ...(o.onStep === undefined ? {} : { onStep: o.onStep }),
      });
    } finally {
      cleanUpColdStart(setup);
    }
    const report: BenchReport = { version: 1, startedAt, host: await hostFacts(), runs: o.runs, warmup: o.warmup, scenarios: [coldStart] };
    validateReport(report);
    return report;
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}
