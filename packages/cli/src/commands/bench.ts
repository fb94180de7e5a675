import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PodstageError } from '@podstage/contract';
import type { Command } from '../cli/command.js';
import { dataDir } from '../cli/context.js';
import { printTable } from '../cli/output.js';
import { scenarioProgress } from '../cli/bench-progress.js';

const STAGE1S = ['fly', 'host', 'runc', 'crun', 'cni', 'kvm'];
const SCENARIOS = ['cold-start', 'ready-stop', 'memory', 'density', 'steady-state', 'cri'];
const PEERS = ['podman', 'ctr'];
/** bin/podstage, so the bench times the CLI exactly as a user types it. */
const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'bin', 'podstage');

function count(flag: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new PodstageError('ERR_PODSTAGE_USAGE', `${flag}: expected a whole number ≥ ${min}, got ${JSON.stringify(value)}`);
  return n;
}

/** A comma-separated subset of `known` (all of `fallback` when the flag is absent). */
function subset(flag: string, value: unknown, known: readonly string[], fallback: readonly string[]): string[] {
  if (typeof value !== 'string') return [...fallback];
  const names = value.split(',').filter(Boolean);
  for (const n of names) if (!known.includes(n)) throw new PodstageError('ERR_PODSTAGE_USAGE', `${flag}: unknown ${JSON.stringify(n)}, expected some of ${known.join(', ')}`);
  return names;
}

export const command: Command = {
  name: 'bench',
  summary: 'What each stage1 costs here (start, stop, memory, density, steady state) next to the raw isolators, Node, podman and ctr where installed.',
  usage: 'bench [--quick] [--scenarios=LIST] [--stage1s=LIST] [--peers=LIST] [--runs=N] [--warmup=N] [--density=LIST] [--image=IMAGE] [--json=FILE] [--html=FILE]',
  options: {
    quick: { type: 'boolean', description: 'few runs (2 after 1 warm-up; memory and steady state fewer) and density 10 only: under two minutes on a 2-core machine' },
    scenarios: { type: 'string', valueName: 'LIST', description: `scenarios to run, comma-separated (default ${SCENARIOS.join(',')})` },
    stage1s: { type: 'string', valueName: 'LIST', description: `stage1s to measure, comma-separated (default ${STAGE1S.join(',')}; cni is runc on the default CNI network, its difference to runc the network's set-up; kvm runs once per guest kernel)` },
    peers: { type: 'string', valueName: 'LIST', description: `other runtimes to measure where installed (default ${PEERS.join(',')}; empty for none)` },
    runs: { type: 'string', valueName: 'N', description: 'measured runs per variant (default 10)' },
    warmup: { type: 'string', valueName: 'N', description: 'warm-up runs per variant, not counted (default 2)' },
    density: { type: 'string', valueName: 'LIST', description: 'pods started at once in the density scenario, comma-separated (default 10,50)' },
    image: { type: 'string', valueName: 'IMAGE', description: 'image every variant runs (default podstage.io/default:latest)' },
    json: { type: 'string', valueName: 'FILE', description: 'write the report as JSON (schema-checked)' },
    html: { type: 'string', valueName: 'FILE', description: 'write the report as one self-contained HTML page with charts' },
  },
  async run({ global, values }) {
    const quick = values.quick === true;
    const stage1s = subset('--stage1s', values.stage1s, STAGE1S, STAGE1S);
    const scenarios = subset('--scenarios', values.scenarios, SCENARIOS, SCENARIOS);
    const peers = subset('--peers', values.peers, PEERS, PEERS);
    const runs = count('--runs', values.runs, quick ? 2 : 10, 1);
    const warmup = count('--warmup', values.warmup, quick ? 1 : 2, 0);
    const densities = typeof values.density === 'string'
      ? values.density.split(',').map((d) => count('--density', d, 0, 1)) : quick ? [10] : [10, 50];
    const [{ runBench }, { reportTables }, { detectAccelerator }, { bareBoots }] = await Promise.all([
      import('@podstage/bench'), import('@podstage/bench/text'), import('@podstage/stage1-kvm/accel'), import('@podstage/stage1-kvm/bare-boot'),
    ]);
    const accel = detectAccelerator();
    const bar = scenarioProgress();
    const report = await runBench({
      cli: CLI, dataDir: dataDir(global), image: (values.image as string | undefined) ?? 'podstage.io/default:latest',
      stage1s, scenarios, peers, densities, runs, warmup, quick, kvmFacts: { accel: `${accel.accel} (${accel.reason})`, bareBoots: bareBoots() },
      onScenario: (id) => bar.start(id),
      onStep: (done, total, variant) => bar.update(done, total, variant),
    });
    bar.stop();
    process.stdout.write(`${report.host.cpu}, ${report.host.cores} cores, ${report.host.memoryMiB} MiB, ${report.host.kernel}, cgroups ${report.host.cgroups}, kvm: ${report.host.kvm}; Node ${report.host.node}; ${report.options.runs} runs after ${report.options.warmup} warm-up, interleaved; ${report.durationS.toFixed(0)} s\n`);
    for (const t of reportTables(report)) {
      process.stdout.write(`\n${t.title}\n`);
      printTable(t.header, t.rows);
      for (const l of t.lines) process.stdout.write(`${l}\n`);
    }
    if (typeof values.json === 'string') writeFileSync(values.json, `${JSON.stringify(report, null, 2)}\n`);
    if (typeof values.html === 'string') {
      const { renderHtml } = await import('@podstage/bench/html');
      writeFileSync(values.html, renderHtml(report));
    }
    return 0;
  },
};
