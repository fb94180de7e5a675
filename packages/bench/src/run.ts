/** Run a scenario's variants interleaved (A B C A B C …) after warm-up rounds, and summarize each metric. */
import type { MetricDef, MetricResult, ProcessMemory, ScenarioResult, Skipped, VariantKind, VariantResult } from './report.js';
import { interleave, pairedDifferences, pairedRatios, summarize } from './stats.js';

/** What one measured run gives: a value per metric, and for the memory scenario the processes. */
export interface Measurement {
  values: Record<string, number>;
  processes?: ProcessMemory[];
}

export interface Variant {
  id: string;
  label: string;
  kind: VariantKind;
  /** A podstage variant's baseline without podstage, when the scenario runs it. */
  rawIsolator?: string;
  /** Run `i` (a counter unique within the scenario); throws when the run failed. */
  measure(i: number): Promise<Measurement>;
}

export interface ScenarioInfo {
  id: string;
  title: string;
  description: string;
  metrics: MetricDef[];
}

export interface RunOptions {
  runs: number;
  warmup: number;
  /** Called after each step, for a progress display. */
  onStep?: (done: number, total: number, variant: string) => void;
}

/** A scenario's variants and the variants it could not run, with their reasons. */
export interface Plan {
  variants: Variant[];
  skipped: Skipped[];
  notes?: string[];
}

/** The text of a failure, on one line. */
export function failureText(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.replace(/\s+/g, ' ').trim().slice(0, 400);
}

export async function runScenario(info: ScenarioInfo, plan: Plan, o: RunOptions): Promise<ScenarioResult> {
  const started = Date.now();
  const values = new Map(plan.variants.map((v) => [v.id, [] as Record<string, number>[]]));
  const errors = new Map(plan.variants.map((v) => [v.id, [] as string[]]));
  const processes = new Map<string, ProcessMemory[]>();
  const steps = interleave(plan.variants, o.runs, o.warmup);
  for (const [n, step] of steps.entries()) {
    const v = step.variant;
    try {
      const m = await v.measure(n);
      if (!step.warmup) {
        values.get(v.id)?.push(m.values);
        if (m.processes) processes.set(v.id, m.processes);
      }
    } catch (err) {
      errors.get(v.id)?.push(failureText(err));
    }
    o.onStep?.(n + 1, steps.length, v.id);
  }
  const measured = plan.variants.filter((v) => (values.get(v.id)?.length ?? 0) > 0);
  const references = measured.filter((v) => v.kind !== 'podstage');
  const series = (id: string, metric: string) => (values.get(id) ?? []).map((r) => r[metric]).filter((x): x is number => x !== undefined);
  const variants: VariantResult[] = measured.map((v) => {
    const metrics: Record<string, MetricResult> = {};
    for (const def of info.metrics) {
      const own = series(v.id, def.id);
      if (own.length === 0) continue;
      const ratios: MetricResult['ratios'] = {};
      if (def.ratios) {
        for (const r of references) {
          const theirs = series(r.id, def.id);
          if (r.id !== v.id && theirs.length > 0 && theirs.every((x) => x > 0)) ratios[r.id] = pairedRatios(own, theirs);
        }
      }
      const raw = v.rawIsolator === undefined ? [] : series(v.rawIsolator, def.id);
      const overRaw = def.ratios && raw.length > 0 ? { overRaw: pairedDifferences(own, raw) } : {};
      metrics[def.id] = { samples: own, summary: summarize(own), ratios, ...overRaw };
    }
    const errs = errors.get(v.id) ?? [];
    const procs = processes.get(v.id);
    const raw = v.rawIsolator !== undefined && measured.some((m) => m.id === v.rawIsolator) ? { rawIsolator: v.rawIsolator } : {};
    return { id: v.id, label: v.label, kind: v.kind, ...raw, failures: errs.length, errors: errs.slice(0, 3), metrics, ...(procs ? { processes: procs } : {}) };
  });
  const failedAll = plan.variants.filter((v) => !measured.includes(v)).map((v) => ({
    id: v.id, reason: `every run failed (${errors.get(v.id)?.length} of ${o.runs + o.warmup}): ${errors.get(v.id)?.[0] ?? ''}`,
  }));
  return { ...info, variants, skipped: [...plan.skipped, ...failedAll], notes: plan.notes ?? [], durationS: (Date.now() - started) / 1000 };
}
