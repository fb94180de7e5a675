/**
 * The raw isolators running `benchload ready FILE` in the background on the
 * baseline rootfs, as ready-stop and memory run them: started, ready, stopped
 * the way their users would stop them.
 */
import { baselineRootfs, benchOutDir, type BenchContext, ociBundle, POD_BIN, POD_OUT } from './context.js';
import { msSince, runCommand } from './command.js';
import { childExit, type ReadyProcess, startReadyProcess } from './pods.js';
import type { Skipped } from './report.js';
import { onPath } from './targets.js';

export interface BackgroundIsolator {
  id: 'chroot' | 'nspawn' | 'runc';
  label: string;
  /** The scenario running it, which keeps ready files, container names and bundles apart. */
  scenario: string;
  /** The command running `benchload ready file` for run `i`. */
  argv(file: string, i: number): string[];
  /** Ask run `i`, whose command is process `pid`, to stop. */
  stop(pid: number, i: number): void;
}

/** One run of an isolator, ready. */
export interface RunningIsolator extends ReadyProcess {
  /** Stop it and wait until its command has exited; the time that took (ms). */
  stop(): Promise<number>;
}

/** The isolators installed here for `scenario`, and the others with the reason. */
export function backgroundIsolators(ctx: BenchContext, scenario: string): { isolators: BackgroundIsolator[]; skipped: Skipped[] } {
  const root = baselineRootfs(ctx);
  const out = benchOutDir(ctx);
  const program = `${POD_BIN}/benchload`;
  const term = (pid: number) => process.kill(pid, 'SIGTERM');
  const isolators: BackgroundIsolator[] = [{
    id: 'chroot', label: 'unshare -m + chroot', scenario, stop: term,
    argv: (f) => ['unshare', '-m', '--propagation', 'private', 'sh', '-c', `mount --bind "$0" "$1${POD_OUT}" && exec chroot "$1" ${program} ready "$2"`, out, root, f],
  }];
  const skipped: Skipped[] = [];
  if (onPath('systemd-nspawn')) {
    isolators.push({
      id: 'nspawn', label: 'systemd-nspawn', scenario, stop: term,
      argv: (f) => ['systemd-nspawn', '-q', '--register=no', '--keep-unit', '--console=pipe', `--bind=${out}:${POD_OUT}`, '-D', root, program, 'ready', f],
    });
  } else skipped.push({ id: 'nspawn', reason: 'systemd-nspawn is not installed (apt-get install systemd-container)' });
  if (onPath('runc')) {
    const name = (i: number) => `podstage-bench-${process.pid}-${scenario}-${i}`;
    isolators.push({
      id: 'runc', label: 'runc run', scenario,
      argv: (f, i) => ['runc', 'run', '-b', ociBundle(ctx, `${scenario}-${i}`, [program, 'ready', f]), name(i)],
      stop: (_pid, i) => { void runCommand(['runc', 'kill', name(i), 'TERM']).catch(() => undefined); },
    });
  } else skipped.push({ id: 'runc', reason: 'runc is not installed (apt-get install runc)' });
  return { isolators, skipped };
}

/** Start run `i` of `iso` and wait until its app is ready. */
export async function startIsolator(ctx: BenchContext, iso: BackgroundIsolator, i: number): Promise<RunningIsolator> {
  const ready = await startReadyProcess(ctx, (f) => iso.argv(f, i), `${iso.scenario}-${iso.id}-${i}`);
  return {
    ...ready,
    async stop() {
      const start = process.hrtime.bigint();
      const exited = childExit(ready.child);
      iso.stop(ready.child.pid as number, i);
      await exited;
      return msSince(start);
    },
  };
}
