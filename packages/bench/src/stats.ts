/** Summaries of timing samples (pure): what every bench row reports. */

export interface Summary {
  runs: number;
  min: number;
  median: number;
  p90: number;
  max: number;
}

/** Nearest-rank percentile of sorted values (p in 0..100). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new Error('percentile of no samples');
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] as number;
}

export function median(sorted: readonly number[]): number {
  if (sorted.length === 0) throw new Error('median of no samples');
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  return { runs: sorted.length, min: sorted[0] as number, median: median(sorted), p90: percentile(sorted, 90), max: sorted[sorted.length - 1] as number };
}

/**
 * Ratios of `a` to `b` taken pair by pair (the i-th run of each, which ran next to each
 * other in the interleaved order), then summarized: a ratio survives a noisy machine.
 */
export function pairedRatios(a: readonly number[], b: readonly number[]): Summary {
  const n = Math.min(a.length, b.length);
  if (n === 0) throw new Error('no pairs');
  return summarize(Array.from({ length: n }, (_, i) => (a[i] as number) / (b[i] as number)));
}

/** Differences `a - b` taken pair by pair, then summarized (podstage's own cost over the raw isolator's). */
export function pairedDifferences(a: readonly number[], b: readonly number[]): Summary {
  const n = Math.min(a.length, b.length);
  if (n === 0) throw new Error('no pairs');
  return summarize(Array.from({ length: n }, (_, i) => (a[i] as number) - (b[i] as number)));
}

/** The order variants run in: `warmup` rounds, then `runs` rounds, each round every variant once (A B C A B C …). */
export function interleave<T>(variants: readonly T[], runs: number, warmup: number): { variant: T; warmup: boolean }[] {
  const out: { variant: T; warmup: boolean }[] = [];
  for (let round = 0; round < warmup + runs; round++) for (const variant of variants) out.push({ variant, warmup: round < warmup });
  return out;
}
