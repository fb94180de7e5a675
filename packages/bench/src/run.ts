/** Run a scenario's variants interleaved (A B C A B C …) after warm-up rounds, and summarize. */
import { spawnSync } from 'node:child_process';
import type { Skipped, Variant } from './scenarios/cold-start.js';
import type { ScenarioResult, VariantResult } from './report.js';
import { interleave, pairedRatios, summarize } from './stats.js';

export interface RunOptions {
  runs: number;
  warmup: number;
  /** Called after each step, for a progress display. */
  onStep?: (done: number, total: number, variant: string) => void;
}

function timeOnce(argv: string[]): { ms: number; ok: boolean } {
  const start = process.hrtime.bigint();
  const r = spawnSync(argv[0] as string, argv.slice(1), { stdio: 'ignore' });
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, ok: r.status === 0 };
}

export function runScenario(id: string, title: string, variants: Variant[], skipped: Skipped[], o: RunOptions): ScenarioResult {
  const samples = new Map(variants.map((v) => [v.id, [] as number[]]));
  const failures = new Map(variants.map((v) => [v.id, 0]));
  const steps = interleave(variants, o.runs, o.warmup);
  steps.forEach((step, n) => {
    const { ms, ok } = timeOnce(step.variant.argv(n));
    if (!ok) failures.set(step.variant.id, (failures.get(step.variant.id) ?? 0) + 1);
    else if (!step.warmup) samples.get(step.variant.id)?.push(ms);
    o.onStep?.(n + 1, steps.length, step.variant.id);
  });
  const baselines = variants.filter((v) => v.kind === 'baseline' && (samples.get(v.id)?.length ?? 0) > 0);
  const results: VariantResult[] = variants.filter((v) => (samples.get(v.id)?.length ?? 0) > 0).map((v) => {
    const own = samples.get(v.id) as number[];
    const ratios: Record<string, ReturnType<typeof pairedRatios>> = {};
    for (const b of baselines) if (b.id !== v.id) ratios[b.id] = pairedRatios(own, samples.get(b.id) as number[]);
    return { id: v.id, label: v.label, kind: v.kind, samplesMs: own, ms: summarize(own), failures: failures.get(v.id) ?? 0, ratios };
  });
  const failedAll = variants.filter((v) => (samples.get(v.id)?.length ?? 0) === 0).map((v) => ({ id: v.id, reason: `every run failed (${failures.get(v.id)} of ${o.runs + o.warmup})` }));
  return { id, title, variants: results, skipped: [...skipped, ...failedAll] };
}
