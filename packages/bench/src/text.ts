/** The report as terminal tables: one per scenario, the medians of each metric and ratios of the first to the references. */
import type { BenchReport, VariantResult } from './report.js';

export interface TextTable {
  title: string;
  header: string[];
  rows: string[][];
  /** Skipped variants and notes, one line each. */
  lines: string[];
}

export const fmt = (n: number): string => (Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 10 ? n.toFixed(1) : n.toFixed(2));

/** The references ratios are shown against, in this order when present. */
const REFERENCES = ['node', 'chroot', 'nspawn', 'runc', 'qemu-debian', 'qemu-minimal', 'host', 'podman', 'ctr'];

/** `+270 (nspawn)`: the median of the run-by-run differences to the variant's raw isolator. */
function overRawText(v: VariantResult, metric: string): string {
  const d = v.metrics[metric]?.overRaw;
  return d && v.rawIsolator ? `+${fmt(d.median)} (${v.rawIsolator})` : '-';
}

export function reportTables(report: BenchReport): TextTable[] {
  return report.scenarios.map((s) => {
    const first = s.metrics[0];
    const refs = REFERENCES.filter((r) => first?.ratios && s.variants.some((v) => v.metrics[first.id]?.ratios[r]));
    const overRaw = first !== undefined && s.variants.some((v) => v.metrics[first.id]?.overRaw);
    const header = ['VARIANT', ...s.metrics.map((m) => `${m.label} (${m.unit})`.toUpperCase()), ...(overRaw ? [`${first.label} over raw isolator`.toUpperCase()] : []), ...refs.map((r) => `× ${r}`), 'FAILED'];
    const rows = s.variants.map((v) => [
      v.label,
      ...s.metrics.map((m) => {
        const r = v.metrics[m.id];
        return r ? `${fmt(r.summary.median)}${r.summary.runs > 1 ? ` (p90 ${fmt(r.summary.p90)})` : ''}` : '-';
      }),
      ...(overRaw ? [overRawText(v, first?.id ?? '')] : []),
      ...refs.map((ref) => {
        const r = first ? v.metrics[first.id]?.ratios[ref] : undefined;
        return r ? fmt(r.median) : '-';
      }),
      String(v.failures),
    ]);
    const lines = [...s.skipped.map((k) => `skipped ${k.id}: ${k.reason}`), ...s.notes.map((n) => `note: ${n}`)];
    return { title: `${s.title} (${s.durationS.toFixed(0)} s): ${s.description}`, header, rows, lines };
  });
}
