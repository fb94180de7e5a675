/** The HTML report on a fixed report: its sections, Chart.js inlined, nothing fetched, the data safe inside <script>. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as assert from 'uvu/assert';
import { type BenchReport, type MetricDef, pairedRatios, type ScenarioResult, summarize, validateReport, type VariantResult } from '@podstage/bench';
import { renderHtml } from '@podstage/bench/html';
import { test } from '../helpers/suite.js';

const HOSTILE = 'podman </script><script>alert(1)</script>';

type Samples = Record<string, number[]>;
type Kind = VariantResult['kind'];

/** Variants with summaries, and ratios to every baseline and peer for metrics with `ratios`, as the runner computes them. */
function variants(metrics: MetricDef[], rows: [string, string, Kind, Samples, VariantResult['processes']?][]): VariantResult[] {
  const refs = rows.filter(([, , kind]) => kind !== 'podstage');
  return rows.map(([id, label, kind, samples, processes]) => ({
    id, label, kind, failures: 0, errors: [],
    metrics: Object.fromEntries(metrics.map((m) => {
      const own = samples[m.id] as number[];
      const ratios = m.ratios ? Object.fromEntries(refs.filter(([rid]) => rid !== id).map(([rid, , , theirs]) => [rid, pairedRatios(own, theirs[m.id] as number[])])) : {};
      return [m.id, { samples: own, summary: summarize(own), ratios }];
    })),
    ...(processes ? { processes } : {}),
  }));
}

const ms = (id: string, label: string): MetricDef => ({ id, label, unit: 'ms', ratios: true });

const coldStart: ScenarioResult = {
  id: 'cold-start', title: 'Cold start to exit', description: 'podstage run -- /bin/true to its exit.',
  metrics: [ms('ms', 'start to exit')],
  variants: variants([ms('ms', 'start to exit')], [
    ['podstage-fly', 'podstage (fly)', 'podstage', { ms: [104, 110, 119] }],
    ['podstage-kvm-minimal', 'podstage (kvm, minimal kernel)', 'podstage', { ms: [1560, 1610, 1700] }],
    ['node', 'node -e 0', 'baseline', { ms: [28, 30, 33] }],
    ['chroot', 'unshare -m + chroot', 'baseline', { ms: [3, 3.2, 2.9] }],
    ['podman', HOSTILE, 'peer', { ms: [153, 160, 170] }],
  ]),
  skipped: [{ id: 'ctr', reason: 'ctr is not installed' }],
  notes: ['podman runs with --runtime runc'], durationS: 10,
};

const readyStop: ScenarioResult = {
  id: 'ready-stop', title: 'Start to ready, and stop', description: 'A pod that signals readiness by a file, then is stopped.',
  metrics: [ms('ready', 'start to ready'), ms('stop', 'stop')],
  variants: variants([ms('ready', 'start to ready'), ms('stop', 'stop')], [
    ['podstage-host', 'podstage (host)', 'podstage', { ready: [300, 310, 330], stop: [90, 95, 99] }],
    ['nspawn', 'systemd-nspawn', 'baseline', { ready: [60, 62, 70], stop: [20, 22, 25] }],
  ]),
  skipped: [], notes: [], durationS: 10,
};

const MIB: MetricDef[] = [{ id: 'pss', label: 'PSS per pod', unit: 'MiB', ratios: true }, { id: 'rss', label: 'RSS per pod', unit: 'MiB', ratios: true }];
const memory: ScenarioResult = {
  id: 'memory', title: 'Memory per pod', description: 'Host processes of one running pod, from smaps_rollup.',
  metrics: MIB,
  variants: variants(MIB, [
    ['podstage-runc', 'podstage (runc)', 'podstage', { pss: [70, 71, 72], rss: [90, 90, 91] },
      [{ name: 'node', rssKiB: 76_000, pssKiB: 60_000 }, { name: 'runc', rssKiB: 10_500, pssKiB: 8_000 }, { name: 'busybox', rssKiB: 3_000, pssKiB: 1_000 }]],
    ['podstage-kvm-minimal', 'podstage (kvm, minimal kernel)', 'podstage', { pss: [160, 161, 165], rss: [190, 192, 199] },
      [{ name: 'node', rssKiB: 70_000, pssKiB: 55_000 }, { name: 'qemu-system-x86', rssKiB: 100_000, pssKiB: 98_000 }, { name: 'node', rssKiB: 8_000, pssKiB: 4_000 }]],
    ['runc', 'runc run', 'baseline', { pss: [9, 9, 10], rss: [13, 13, 14] },
      [{ name: 'runc', rssKiB: 10_000, pssKiB: 7_500 }, { name: 'busybox', rssKiB: 3_000, pssKiB: 1_000 }]],
  ]),
  skipped: [], notes: [], durationS: 10,
};

const REPORT: BenchReport = {
  version: 2, startedAt: '2026-11-30T10:00:00.000Z', durationS: 95,
  host: { cpu: 'Intel Xeon', cores: 2, memoryMiB: 24_000, os: 'Debian GNU/Linux 12', kernel: '6.1.0', virtual: true, cgroups: 'v1 (hybrid)', kvm: 'tcg (PVM)', node: 'v24.21.0', nodeEnv: ['NODE_EXTRA_CA_CERTS'] },
  options: { runs: 3, warmup: 1, quick: true, stage1s: ['fly', 'host', 'runc', 'kvm'], scenarios: ['cold-start', 'ready-stop', 'memory'], peers: ['podman'], densities: [10] },
  scenarios: [coldStart, readyStop, memory],
};

/** The text of the page's JSON <script> with this id, parsed. */
function scriptData(page: string, id: string): unknown {
  const m = new RegExp(`<script type="application/json" id="${id}">(.*?)</script>`, 's').exec(page);
  assert.ok(m, `a <script id="${id}">`);
  return JSON.parse(m[1] as string);
}

interface Spec { canvas: string; config: { type: string; data: { labels?: string[]; datasets: { label: string; data: unknown[] }[] }; options: { scales: { x: { type?: string; stacked?: boolean } } } } }

const page = renderHtml(REPORT);
const charts = scriptData(page, 'podstage-charts') as Spec[];
const chart = (canvas: string): Spec => {
  const c = charts.find((s) => s.canvas === canvas);
  assert.ok(c, canvas);
  return c;
};

test('the fixture is a valid report', () => {
  validateReport(JSON.parse(JSON.stringify(REPORT)));
});

test('a section for the host, each scenario, the cold-start distribution and the memory by process', () => {
  for (const id of ['host', 'scenario-cold-start', 'scenario-ready-stop', 'scenario-memory', 'distribution', 'memory-by-process']) {
    assert.is(page.split(`<section id="${id}"`).length - 1, 1, id);
  }
  const host = /<section id="host">(.*?)<\/section>/s.exec(page)?.[1] ?? '';
  for (const fact of ['Intel Xeon', '24000 MiB', '6.1.0', 'v1 (hybrid)', 'tcg (PVM)', 'v24.21.0', 'NODE_EXTRA_CA_CERTS', 'fly, host, runc, kvm', '95 s']) assert.ok(host.includes(fact), fact);
});

test('Chart.js is inlined whole, and nothing is fetched', () => {
  const require = createRequire(import.meta.resolve('@podstage/bench'));
  const dist = dirname(require.resolve('chart.js'));
  const { version } = JSON.parse(readFileSync(join(dist, '..', 'package.json'), 'utf8')) as { version: string };
  assert.ok(page.includes(`Chart.js v${version}`), 'the bundle banner');
  assert.ok(page.includes(readFileSync(join(dist, 'chart.umd.js'), 'utf8')), 'the whole UMD bundle');
  assert.not.match(page, /<(script|link|img|iframe)\b[^>]*\b(src|href)\s*=\s*["']?(https?:)?\/\//i);
  assert.not.match(page, /<link\b/i);
});

test('the report JSON round-trips from the page', () => {
  assert.equal(scriptData(page, 'podstage-report'), REPORT);
});

test('a </script> in a label stays text: four scripts, the label escaped in tables and JSON', () => {
  assert.is(page.match(/<script\b/gi)?.length, 4);
  assert.is(page.match(/<\/script>/gi)?.length, 4);
  assert.not.ok(page.includes('<script>alert(1)'));
  assert.ok(page.includes('<td>podman &lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;</td>'));
  assert.ok(chart('chart-cold-start-ms').config.data.labels?.includes(HOSTILE), 'the label reaches the chart intact');
});

test('one canvas per chart: a median chart per metric, the distribution and the processes', () => {
  assert.equal(charts.map((c) => c.canvas), [
    'chart-cold-start-ms', 'chart-cold-start-distribution', 'chart-ready-stop-ready', 'chart-ready-stop-stop',
    'chart-memory-pss', 'chart-memory-rss', 'chart-memory-processes',
  ]);
  for (const c of charts) assert.ok(page.includes(`<canvas id="${c.canvas}">`), c.canvas);
});

test('median bars by kind with a p90 whisker; 3 ms next to 1.6 s on a log axis', () => {
  const c = chart('chart-cold-start-ms');
  assert.is(c.config.options.scales.x.type, 'logarithmic');
  assert.equal(c.config.data.datasets.map((d) => d.label), ['podstage: median', 'baseline (raw isolator, Node): median', 'peer runtime: median', 'median to p90']);
  assert.equal(c.config.data.datasets[0]?.data, [110, 1610, null, null, null]);
  assert.equal(c.config.data.datasets[3]?.data[1], [1610, 1700]);
  assert.is(chart('chart-ready-stop-stop').config.options.scales.x.type, 'linear');
});

test('the distribution has every sample; memory stacks PSS in MiB by process name', () => {
  const points = chart('chart-cold-start-distribution').config.data.datasets.flatMap((d) => d.data);
  assert.is(points.length, 15);
  assert.ok(points.some((p) => JSON.stringify(p) === JSON.stringify({ x: 2.9, y: 'unshare -m + chroot' })));
  const mem = chart('chart-memory-processes');
  assert.ok(mem.config.options.scales.x.stacked);
  assert.equal(mem.config.data.labels, ['podstage (runc)', 'podstage (kvm, minimal kernel)', 'runc run']);
  const byName = Object.fromEntries(mem.config.data.datasets.map((d) => [d.label, d.data]));
  assert.equal(Object.keys(byName), ['node', 'runc', 'busybox', 'qemu-system-x86']);
  assert.equal(byName.node, [60_000 / 1024, 59_000 / 1024, 0], 'two node processes of one pod add up');
});

test.run();
