/**
 * The HTML report's charts as Chart.js configurations: plain data (no functions), so the
 * page script only hands each one to `new Chart`.
 */
import type { ChartConfiguration, ScaleOptions } from 'chart.js';
import type { MetricDef, ScenarioResult, VariantKind, VariantResult } from './report.js';

/** One canvas of the page and what to draw on it. */
export interface ChartSpec {
  canvas: string;
  /** CSS pixels: grows with the number of rows so labels stay readable. */
  height: number;
  config: ChartConfiguration<'bar'> | ChartConfiguration<'scatter', { x: number; y: string }[], string>;
}

const KINDS: readonly VariantKind[] = ['podstage', 'baseline', 'peer'];

const KIND_STYLE: Record<VariantKind, { label: string; color: string; points: string }> = {
  podstage: { label: 'podstage', color: '#2563eb', points: 'rgba(37, 99, 235, 0.55)' },
  baseline: { label: 'baseline (raw isolator, Node)', color: '#9ca3af', points: 'rgba(107, 114, 128, 0.55)' },
  peer: { label: 'peer runtime', color: '#f59e0b', points: 'rgba(217, 119, 6, 0.55)' },
};

/** Process names in a stacked bar: distinct at a glance, in the order names first appear. */
const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

const WHISKER = '#1f2937';

const rowsHeight = (rows: number): number => 90 + rows * 32;

const kindsOf = (variants: readonly VariantResult[]): VariantKind[] => KINDS.filter((k) => variants.some((v) => v.kind === k));

const axisTitle = (text: string) => ({ display: true, text });

/** Ticks on a log axis: the page labels only 1, 2 and 5 times a power of ten, so none are rotated. */
const logAxis = (least: number, title: string): ScaleOptions<'logarithmic'> => ({
  type: 'logarithmic',
  min: 10 ** Math.floor(Math.log10(least)),
  title: axisTitle(`${title}, log scale`),
  ticks: { autoSkip: false, maxRotation: 0 },
} as ScaleOptions<'logarithmic'>);

/** A log axis when values span more than an order and a half of magnitude (a 3 ms chroot next to a 2 s VM), else linear from zero. */
function valueAxis(values: readonly number[], title: string): ScaleOptions<'linear' | 'logarithmic'> {
  const least = Math.min(...values);
  if (least > 0 && Math.max(...values) / least >= 30) return logAxis(least, title);
  return { type: 'linear', beginAtZero: true, title: axisTitle(title) } as ScaleOptions<'linear'>;
}

const BASE_OPTIONS = { animation: false, responsive: true, maintainAspectRatio: false } as const;

/** Each variant's median as a bar coloured by its kind, and a whisker from the median to the p90. */
export function medianChart(canvas: string, scenario: ScenarioResult, metric: MetricDef): ChartSpec | undefined {
  const rows = scenario.variants.flatMap((v) => {
    const result = v.metrics[metric.id];
    return result ? [{ variant: v, summary: result.summary }] : [];
  });
  if (rows.length === 0) return undefined;
  const title = `${metric.label} (${metric.unit})`;
  const medians = kindsOf(rows.map((r) => r.variant)).map((kind) => ({
    label: `${KIND_STYLE[kind].label}: median`,
    data: rows.map((r) => (r.variant.kind === kind ? r.summary.median : null)),
    backgroundColor: KIND_STYLE[kind].color,
    grouped: false,
  }));
  const whiskers = {
    label: 'median to p90',
    data: rows.map((r): [number, number] => [r.summary.median, r.summary.p90]),
    backgroundColor: WHISKER,
    grouped: false,
    barPercentage: 0.15,
  };
  return {
    canvas,
    height: rowsHeight(rows.length),
    config: {
      type: 'bar',
      data: { labels: rows.map((r) => r.variant.label), datasets: [...medians, whiskers] },
      options: {
        ...BASE_OPTIONS,
        indexAxis: 'y',
        scales: { x: valueAxis(rows.flatMap((r) => [r.summary.median, r.summary.p90]), title), y: { ticks: { autoSkip: false } } },
        plugins: { title: { display: true, text: 'median per variant, whisker to p90' } },
      },
    },
  };
}

/** Every sample of one metric, one strip per variant, on a log axis. */
export function distributionChart(canvas: string, scenario: ScenarioResult, metric: MetricDef): ChartSpec | undefined {
  const rows = scenario.variants.filter((v) => v.metrics[metric.id]);
  if (rows.length === 0) return undefined;
  const title = `${metric.label} (${metric.unit})`;
  const datasets = kindsOf(rows).map((kind) => ({
    label: KIND_STYLE[kind].label,
    data: rows.filter((v) => v.kind === kind).flatMap((v) => (v.metrics[metric.id]?.samples ?? []).map((x) => ({ x, y: v.label }))),
    backgroundColor: KIND_STYLE[kind].points,
    borderColor: KIND_STYLE[kind].color,
    pointRadius: 4,
  }));
  const samples = rows.flatMap((v) => v.metrics[metric.id]?.samples ?? []);
  const least = Math.min(...samples.filter((x) => x > 0), 1);
  return {
    canvas,
    height: rowsHeight(rows.length),
    config: {
      type: 'scatter',
      data: { datasets },
      options: {
        ...BASE_OPTIONS,
        scales: {
          x: logAxis(least, title),
          y: { type: 'category', labels: rows.map((v) => v.label), offset: true, ticks: { autoSkip: false } },
        },
        plugins: { title: { display: true, text: 'every measured run, one dot each' } },
      },
    },
  };
}

/** Sums PSS by process name within one variant (a pod may run two processes of one name), in MiB. */
function pssByName(variant: VariantResult): Map<string, number> {
  const sums = new Map<string, number>();
  for (const p of variant.processes ?? []) sums.set(p.name, (sums.get(p.name) ?? 0) + p.pssKiB / 1024);
  return sums;
}

/** The PSS of one pod's host processes, stacked by process name, per variant. */
export function processChart(canvas: string, scenario: ScenarioResult): ChartSpec | undefined {
  const rows = scenario.variants.filter((v) => (v.processes ?? []).length > 0).map((v) => ({ variant: v, pss: pssByName(v) }));
  if (rows.length === 0) return undefined;
  const names = [...new Set(rows.flatMap((r) => [...r.pss.keys()]))];
  const datasets = names.map((name, i) => ({
    label: name,
    data: rows.map((r) => r.pss.get(name) ?? 0),
    backgroundColor: PALETTE[i % PALETTE.length] as string,
  }));
  return {
    canvas,
    height: rowsHeight(rows.length),
    config: {
      type: 'bar',
      data: { labels: rows.map((r) => r.variant.label), datasets },
      options: {
        ...BASE_OPTIONS,
        indexAxis: 'y',
        scales: { x: { stacked: true, beginAtZero: true, title: axisTitle('PSS (MiB)') }, y: { stacked: true, ticks: { autoSkip: false } } },
        plugins: { title: { display: true, text: 'PSS per pod by host process (MiB), last measured run' } },
      },
    },
  };
}
