/** The HTML report's sections: the host, then each scenario with its charts and tables. */
import { type ChartSpec, distributionChart, medianChart, processChart } from './html-charts.js';
import { type Child, el, type Raw } from './html-markup.js';
import type { BenchReport, MetricDef, ScenarioResult, VariantResult } from './report.js';
import { fmt } from './text.js';

/** The scenario whose every sample is drawn as well (start latency varies the most). */
const DISTRIBUTION_SCENARIO = 'cold-start';

const listOr = (items: readonly (string | number)[], none: string): string => (items.length > 0 ? items.join(', ') : none);

const definitions = (facts: [string, string][]): Raw => el('dl', {}, facts.map(([term, value]) => [el('dt', {}, term), el('dd', {}, value)]));

export function hostSection(report: BenchReport): Raw {
  const { host, options } = report;
  return el('section', { id: 'host' },
    el('h2', {}, 'Host and options'),
    definitions([
      ['CPU', host.cpu],
      ['cores', String(host.cores)],
      ['memory', `${host.memoryMiB} MiB`],
      ['OS', host.os],
      ['kernel', host.kernel],
      ['virtual machine', host.virtual ? 'yes' : 'no'],
      ['cgroups', host.cgroups],
      ['kvm accelerator', host.kvm],
      ['Node', host.node],
      ['NODE_* environment', listOr(host.nodeEnv, 'none set')],
      ['runs', `${options.runs} per variant after ${options.warmup} warm-up, interleaved${options.quick ? ' (--quick)' : ''}`],
      ['stage1s', listOr(options.stage1s, 'none')],
      ['scenarios', listOr(options.scenarios, 'none')],
      ['peers', listOr(options.peers, 'none')],
      ['densities', listOr(options.densities, 'none')],
      ['started', report.startedAt],
      ['duration', `${report.durationS.toFixed(0)} s`],
    ]));
}

/** A canvas for the chart, recorded in `charts` for the page script; a line saying so when there is nothing to draw. */
function chartBox(spec: ChartSpec | undefined, charts: ChartSpec[]): Raw {
  if (!spec) return el('p', { class: 'empty' }, 'No variant has a value to draw.');
  charts.push(spec);
  return el('div', { class: 'chart', style: `height: ${spec.height}px` }, el('canvas', { id: spec.canvas }));
}

const num = (n: number | undefined): Raw => el('td', { class: 'num' }, n === undefined ? '-' : fmt(n));
const count = (n: number | undefined): Raw => el('td', { class: 'num' }, n === undefined ? '-' : String(n));

/** The baselines and peers some variant has a ratio to for this metric, in the scenario's order. */
const referencesOf = (s: ScenarioResult, metric: MetricDef): VariantResult[] =>
  s.variants.filter((ref) => s.variants.some((v) => v.metrics[metric.id]?.ratios[ref.id]));

function metricTable(s: ScenarioResult, metric: MetricDef): Raw {
  const refs = referencesOf(s, metric);
  const overRaw = s.variants.some((v) => v.metrics[metric.id]?.overRaw);
  const header = ['variant', 'kind', 'median', 'p90', 'min', 'max', 'runs', 'failures', ...(overRaw ? [`${metric.unit} over raw isolator`] : []), ...refs.map((r) => `× ${r.id}`)];
  const rows = s.variants.filter((v) => v.metrics[metric.id]).map((v) => {
    const r = v.metrics[metric.id];
    return el('tr', { class: `kind-${v.kind}` },
      el('td', {}, v.label), el('td', {}, v.kind),
      num(r?.summary.median), num(r?.summary.p90), num(r?.summary.min), num(r?.summary.max), count(r?.summary.runs), count(v.failures),
      overRaw ? el('td', { class: 'num' }, r?.overRaw && v.rawIsolator ? `+${fmt(r.overRaw.median)} (${v.rawIsolator})` : '-') : null,
      refs.map((ref) => num(r?.ratios[ref.id]?.median)));
  });
  return el('table', {},
    el('caption', {}, refs.length > 0 ? '× columns: median of the run-by-run ratios to that reference' : undefined),
    el('thead', {}, el('tr', {}, header.map((h) => el('th', {}, h)))),
    el('tbody', {}, rows));
}

function metricBlock(s: ScenarioResult, metric: MetricDef, charts: ChartSpec[]): Raw {
  return el('div', { class: 'metric' },
    el('h3', {}, `${metric.label} (${metric.unit})`),
    chartBox(medianChart(`chart-${s.id}-${metric.id}`, s, metric), charts),
    metricTable(s, metric));
}

function distributionSection(s: ScenarioResult, charts: ChartSpec[]): Raw | undefined {
  const metric = s.metrics[0];
  if (s.id !== DISTRIBUTION_SCENARIO || !metric) return undefined;
  return el('section', { id: 'distribution' },
    el('h3', {}, `Distribution: ${metric.label}`),
    chartBox(distributionChart(`chart-${s.id}-distribution`, s, metric), charts));
}

function processTable(variants: readonly VariantResult[]): Raw {
  const mib = (kib: number): Raw => num(kib / 1024);
  const rows = variants.flatMap((v) => (v.processes ?? []).map((p) => el('tr', { class: `kind-${v.kind}` }, el('td', {}, v.label), el('td', {}, p.name), mib(p.rssKiB), mib(p.pssKiB))));
  return el('table', {},
    el('thead', {}, el('tr', {}, ['variant', 'process', 'RSS (MiB)', 'PSS (MiB)'].map((h) => el('th', {}, h)))),
    el('tbody', {}, rows));
}

/** The memory scenario's per-process breakdown (any scenario whose variants carry processes). */
function processSection(s: ScenarioResult, charts: ChartSpec[]): Raw | undefined {
  const spec = processChart(`chart-${s.id}-processes`, s);
  if (!spec) return undefined;
  return el('section', { id: `${s.id}-by-process` },
    el('h3', {}, 'Memory per pod by process'),
    chartBox(spec, charts),
    processTable(s.variants));
}

function remarks(s: ScenarioResult): Child {
  const failed = s.variants.filter((v) => v.failures > 0);
  const items = [
    ...failed.map((v) => `${v.label}: ${v.failures} failed${v.errors.length > 0 ? `: ${v.errors.join(' | ')}` : ''}`),
    ...s.skipped.map((k) => `skipped ${k.id}: ${k.reason}`),
    ...s.notes.map((n) => `note: ${n}`),
  ];
  return items.length > 0 ? el('ul', { class: 'remarks' }, items.map((i) => el('li', {}, i))) : null;
}

export function scenarioSection(s: ScenarioResult, charts: ChartSpec[]): Raw {
  return el('section', { id: `scenario-${s.id}`, class: 'scenario' },
    el('h2', {}, s.title),
    el('p', { class: 'description' }, `${s.description} (${s.durationS.toFixed(0)} s)`),
    s.metrics.map((m) => metricBlock(s, m, charts)),
    distributionSection(s, charts),
    processSection(s, charts),
    remarks(s));
}
