/**
 * A command in a running app as a child process, for a long-lived front end
 * (the CRI's ExecSync): the pod's stage1 `enter` entrypoint, spawned the way
 * a stage1 found by path is entered, its output collected.
 */
import { formatEnterArgs, PodstageError } from '@podstage/contract';
import { entrypointPath, readPodStage1, stage1Env } from '../stage1/invoke.js';
import type { Stage1Registry } from '../stage1/registry.js';
import { enterTarget } from './stop.js';

export interface ExecResult {
  exitCode: number;
  stdout: Buffer;
  stderr: Buffer;
  /** Killed when `timeoutMs` passed. */
  timedOut: boolean;
}

export async function execInPod(
  dataDir: string, stage1s: Stage1Registry, id: string, o: { app?: string | undefined; command: string[]; timeoutMs?: number },
): Promise<ExecResult> {
  const { ref, app } = enterTarget(dataDir, id, o.app);
  const choice = readPodStage1(ref.path);
  const file = entrypointPath(choice, 'enter', stage1s);
  if (file === undefined) throw new PodstageError('ERR_PODSTAGE_UNSUPPORTED', `stage1 ${choice.manifest.name} does not support enter`);
  const { execa } = await import('execa');
  const r = await execa(file, formatEnterArgs({ uuid: ref.uuid, podDir: ref.path, app, command: o.command }), {
    cwd: ref.path, env: stage1Env(), extendEnv: false, reject: false, stdin: 'ignore', encoding: 'buffer', stripFinalNewline: false,
    ...(o.timeoutMs === undefined || o.timeoutMs <= 0 ? {} : { timeout: o.timeoutMs, killSignal: 'SIGKILL' }),
  });
  const timedOut = r.timedOut === true;
  return { exitCode: timedOut ? 137 : (r.exitCode ?? 255), stdout: Buffer.from(r.stdout as Uint8Array), stderr: Buffer.from(r.stderr as Uint8Array), timedOut };
}
