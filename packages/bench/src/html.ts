/**
 * The report as one self-contained HTML page: Chart.js's UMD bundle, the report and the
 * chart configurations are inlined, so the file opens offline and fetches nothing.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ChartSpec } from './html-charts.js';
import { el, fragment, inlineScript, jsonScript, Raw } from './html-markup.js';
import { hostSection, scenarioSection } from './html-sections.js';
import type { BenchReport } from './report.js';

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; color: #1f2937; margin: 0 auto; max-width: 1200px; padding: 1.5rem; }
h1 { margin: 0 0 .25rem; } h2 { margin-top: 2.5rem; border-bottom: 1px solid #e5e7eb; padding-bottom: .25rem; } h3 { margin: 1.5rem 0 .5rem; }
nav a { margin-right: 1rem; } .description { color: #4b5563; max-width: 70rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1.5rem; } dt { color: #6b7280; } dd { margin: 0; }
.chart { position: relative; width: 100%; margin: .5rem 0 1rem; }
table { border-collapse: collapse; margin: .5rem 0 1rem; } caption { text-align: left; color: #6b7280; padding-bottom: .25rem; }
th, td { padding: .2rem .6rem; border-bottom: 1px solid #e5e7eb; text-align: left; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.kind-podstage td:first-child { border-left: 4px solid #2563eb; } tr.kind-baseline td:first-child { border-left: 4px solid #9ca3af; } tr.kind-peer td:first-child { border-left: 4px solid #f59e0b; }
.remarks { color: #4b5563; } .empty { color: #9ca3af; font-style: italic; }
`;

/**
 * Draws every chart the sections recorded: the configurations are data, read from the page;
 * the one function they need, a log axis's tick labels (1, 2, 5 × 10^n), is added here.
 */
const PAGE_SCRIPT = `
Chart.defaults.animation = false;
Chart.defaults.font.family = 'system-ui, sans-serif';
const oneTwoFive = (value) => (/^(?:[125]0*|0\\.0*[125])$/.test(String(value)) ? Number(value).toLocaleString('en') : '');
for (const spec of JSON.parse(document.getElementById('podstage-charts').textContent)) {
  for (const scale of Object.values(spec.config.options.scales ?? {})) {
    if (scale.type === 'logarithmic') scale.ticks.callback = oneTwoFive;
  }
  new Chart(document.getElementById(spec.canvas), spec.config);
}
`;

let bundle: string | undefined;

/** Chart.js's UMD build, from the installed package (its exports map names only the module builds, which sit beside it). */
function chartJsBundle(): string {
  bundle ??= readFileSync(join(dirname(createRequire(import.meta.url).resolve('chart.js')), 'chart.umd.js'), 'utf8');
  return bundle;
}

function header(report: BenchReport): Raw {
  return fragment(
    el('h1', {}, 'podstage bench'),
    el('p', {}, `${report.startedAt}, ${report.durationS.toFixed(0)} s on ${report.host.cpu} (${report.host.cores} cores)`),
    el('nav', {}, el('a', { href: '#host' }, 'host'), report.scenarios.map((s) => el('a', { href: `#scenario-${s.id}` }, s.title))));
}

export function renderHtml(report: BenchReport): string {
  const charts: ChartSpec[] = [];
  const sections = [hostSection(report), ...report.scenarios.map((s) => scenarioSection(s, charts))];
  const page = el('html', { lang: 'en' },
    el('head', {},
      el('meta', { charset: 'utf-8' }),
      el('title', {}, `podstage bench ${report.startedAt}`),
      el('style', {}, new Raw(STYLE))),
    el('body', {},
      header(report),
      el('main', {}, sections),
      jsonScript('podstage-report', report),
      jsonScript('podstage-charts', charts),
      inlineScript(chartJsBundle()),
      inlineScript(PAGE_SCRIPT)));
  return `<!doctype html>\n${page.html}\n`;
}
