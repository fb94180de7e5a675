/**
 * Start to ready, then stop: a long-running app (`benchload ready`) that
 * signals readiness by creating a file in a volume; the time until the file
 * appears, then the time `podstage stop` (or the isolator's own stop) takes
 * until the pod has exited.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { baselineRootfs, benchOutDir, type BenchContext, ociBundle, POD_BIN, POD_OUT } from '../context.js';
import { execCommand, startReadyPod, stopPod, waitForFile } from '../pods.js';
import type { ScenarioResult } from '../report.js';
import { type Measurement, type Plan, runScenario, type ScenarioInfo, type Variant } from '../run.js';
import { onPath } from '../targets.js';

export const INFO: ScenarioInfo = {
  id: 'ready-stop',
  title: 'Start to ready, and stop',
  description: 'A long-running app that signals readiness by creating a file in a volume: the time from the command until the file exists, then the time to stop the pod (SIGTERM to the app) until it has exited.',
  metrics: [
    { id: 'ready', label: 'start to ready', unit: 'ms', ratios: true },
    { id: 'stop', label: 'stop', unit: 'ms', ratios: true },
  ],
};

const since = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;

/**
 * A raw isolator run in the background: `argv(file)` runs `benchload ready file`;
 * `stop(child, i)` asks it to stop the way its users would.
 */
function background(id: string, label: string, argv: (file: string, i: number) => string[], stop: (pid: number, i: number) => void, ctx: BenchContext): Variant {
  return {
    id, label, kind: 'baseline',
    async measure(i): Promise<Measurement> {
      const token = `ready-${id}-${i}`;
      const start = process.hrtime.bigint();
      const [cmd, ...args] = argv(`${POD_OUT}/${token}`, i);
      const child = spawn(cmd as string, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr.on('data', (d: Buffer) => { err = (err + d.toString()).slice(-2000); });
      const exited = new Promise((resolve) => child.once('exit', resolve));
      try {
        await waitForFile(join(benchOutDir(ctx), token), child, () => err.trim());
      } catch (e) {
        child.kill('SIGKILL');
        throw e;
      }
      const ready = since(start);
      const stopStart = process.hrtime.bigint();
      stop(child.pid as number, i);
      await exited;
      return { values: { ready, stop: since(stopStart) } };
    },
  };
}

export function plan(ctx: BenchContext): Plan {
  const variants: Variant[] = ctx.targets.map((t): Variant => ({
    id: t.id, label: t.label, kind: 'podstage',
    async measure() {
      const pod = await startReadyPod(ctx, t);
      return { values: { ready: pod.readyMs, stop: await stopPod(ctx, pod) } };
    },
  }));
  const skipped: Plan['skipped'] = [];
  const root = baselineRootfs(ctx);
  const out = benchOutDir(ctx);
  const program = `${POD_BIN}/benchload`;
  const term = (pid: number) => process.kill(pid, 'SIGTERM');
  variants.push(background('chroot', 'unshare -m + chroot', (f) => ['unshare', '-m', '--propagation', 'private', 'sh', '-c',
    `mount --bind "$0" "$1${POD_OUT}" && exec chroot "$1" ${program} ready "$2"`, out, root, f], term, ctx));
  if (onPath('systemd-nspawn')) {
    variants.push(background('nspawn', 'systemd-nspawn', (f) => ['systemd-nspawn', '-q', '--register=no', '--keep-unit', '--console=pipe',
      `--bind=${out}:${POD_OUT}`, '-D', root, program, 'ready', f], term, ctx));
  } else skipped.push({ id: 'nspawn', reason: 'systemd-nspawn is not installed (apt-get install systemd-container)' });
  if (onPath('runc')) {
    const name = (i: number) => `podstage-bench-${process.pid}-ready-${i}`;
    const bundle = (f: string, i: number) => ociBundle(ctx, `ready-${i}`, [program, 'ready', f]);
    variants.push(background('runc', 'runc run', (f, i) => ['runc', 'run', '-b', bundle(f, i), name(i)],
      (_pid, i) => { void execCommand(['runc', 'kill', name(i), 'TERM']).catch(() => undefined); }, ctx));
  } else skipped.push({ id: 'runc', reason: 'runc is not installed (apt-get install runc)' });
  for (const p of ctx.peers) {
    variants.push({
      id: p.id, label: p.label, kind: 'peer',
      async measure(i) {
        const token = `ready-${p.id}-${i}`;
        const start = process.hrtime.bigint();
        const name = await p.start(i, [program, 'ready', `${POD_OUT}/${token}`]);
        await waitForFile(join(out, token), undefined, () => '');
        const ready = since(start);
        const stopStart = process.hrtime.bigint();
        await p.stop(name);
        return { values: { ready, stop: since(stopStart) } };
      },
    });
  }
  return { variants, skipped, notes: ctx.peers.flatMap((p) => p.notes) };
}

export const run = (ctx: BenchContext): Promise<ScenarioResult> => runScenario(INFO, plan(ctx), ctx.run);
