import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PodstageError } from '@podstage/contract';
import type { Command } from '../cli/command.js';
import { dataDir } from '../cli/context.js';
import { printTable } from '../cli/output.js';

const STAGE1S = ['fly', 'host', 'runc', 'crun', 'kvm'];
/** bin/podstage, so the bench times the CLI exactly as a user types it. */
const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'bin', 'podstage');

function count(flag: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new PodstageError('ERR_PODSTAGE_USAGE', `${flag}: expected a whole number ≥ ${min}, got ${JSON.stringify(value)}`);
  return n;
}

const fmt = (n: number) => (n >= 100 ? n.toFixed(0) : n.toFixed(1));

export const command: Command = {
  name: 'bench',
  summary: 'Time what each stage1 costs on this machine next to the raw isolators and Node (cold start to exit).',
  usage: 'bench [--quick] [--stage1s=LIST] [--runs=N] [--warmup=N] [--image=IMAGE] [--json=FILE]',
  options: {
    quick: { type: 'boolean', description: 'few runs (3, 1 warm-up) and no kvm unless --stage1s names it' },
    stage1s: { type: 'string', valueName: 'LIST', description: `stage1s to time, comma-separated (default ${STAGE1S.join(',')})` },
    runs: { type: 'string', valueName: 'N', description: 'measured runs per variant (default 10)' },
    warmup: { type: 'string', valueName: 'N', description: 'warm-up runs per variant, not counted (default 2)' },
    image: { type: 'string', valueName: 'IMAGE', description: 'image every variant runs (default podstage.io/default:latest)' },
    json: { type: 'string', valueName: 'FILE', description: 'write the report as JSON (schema-checked)' },
  },
  async run({ global, values }) {
    const quick = values.quick === true;
    const stage1s = typeof values.stage1s === 'string' ? values.stage1s.split(',').filter(Boolean) : STAGE1S.filter((s) => !quick || s !== 'kvm');
    for (const s of stage1s) if (!STAGE1S.includes(s)) throw new PodstageError('ERR_PODSTAGE_USAGE', `--stage1s: unknown stage1 ${JSON.stringify(s)}, expected some of ${STAGE1S.join(', ')}`);
    const runs = count('--runs', values.runs, quick ? 3 : 10, 1);
    const warmup = count('--warmup', values.warmup, quick ? 1 : 2, 0);
    const { runBench } = await import('@podstage/bench');
    const report = await runBench({
      cli: CLI, dataDir: dataDir(global), image: (values.image as string | undefined) ?? 'podstage.io/default:latest', stage1s, runs, warmup,
      onStep: (done, total, variant) => process.stderr.isTTY && process.stderr.write(`\r${done}/${total} ${variant.padEnd(20)}`),
    });
    if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
    for (const s of report.scenarios) {
      process.stdout.write(`${s.title}: ${report.runs} runs after ${report.warmup} warm-up, interleaved; ${report.host.cpu}, ${report.host.cores} cores, Node ${report.host.node}\n`);
      printTable(['VARIANT', 'MIN ms', 'MEDIAN', 'P90', 'MAX', '× node', '× chroot', 'FAILED'], s.variants.map((v) => [
        v.label, fmt(v.ms.min), fmt(v.ms.median), fmt(v.ms.p90), fmt(v.ms.max),
        v.ratios.node ? fmt(v.ratios.node.median) : '-', v.ratios.chroot ? fmt(v.ratios.chroot.median) : '-', String(v.failures),
      ]));
      for (const k of s.skipped) process.stdout.write(`skipped ${k.id}: ${k.reason}\n`);
    }
    if (typeof values.json === 'string') writeFileSync(values.json, `${JSON.stringify(report, null, 2)}\n`);
    return 0;
  },
};
