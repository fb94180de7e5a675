/**
 * Start a prepared pod in detach mode, the mode every long-lived front end
 * needs: the caller gets the pod's pid back once the pod runs. A built-in whose
 * pods live in processes of their own (runc, host: conmon) starts it in this
 * process and hands the lock over; otherwise the stage1's `run` entrypoint
 * becomes a process of its own (a new session, holding the pod lock), run from
 * its stage1 directory exactly as a stage1 found by path is (ABI.md).
 */
import { closeSync, openSync, readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { DEFAULT_CONFIG_DIR, formatRunArgs, LOCK_FD_ENV, pod, PodstageError, readPidFile } from '@podstage/contract';
import { backoff, type DirLock } from '@podstage/linux';
import { entrypointPath, readPodStage1, stage1Env, startInProcess } from '../stage1/invoke.js';
import type { Stage1Registry } from '../stage1/registry.js';
import { beginRun, type LaunchFlags } from './launch.js';
import type { PodRef } from './lifecycle.js';
import { setUpNetwork } from './network.js';

export interface DetachedPod {
  uuid: string;
  /** The pod's process on the host (the `pid` file): nspawn, the runc sandbox's conmon, the app itself for fly. */
  pid: number;
}

/** The run entrypoint's fd for the pod lock (after stdin, stdout, stderr). */
const CHILD_LOCK_FD = 3;

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-3).join(' | ');
  } catch {
    return '';
  }
}

/** `held`: the lock prepare returned, when the caller still holds it. Waits up to `timeoutMs` for the pod's pid. */
export async function startDetached(
  dataDir: string, stage1s: Stage1Registry, ref: PodRef, flags: LaunchFlags, { held, timeoutMs = 120_000 }: { held?: DirLock; timeoutMs?: number } = {},
): Promise<DetachedPod> {
  const begun = beginRun(dataDir, ref, flags, held);
  const { lock } = begun;
  const opts = await setUpNetwork(begun.opts, flags.configDir ?? DEFAULT_CONFIG_DIR);
  const choice = readPodStage1(opts.podDir);
  const started = await startInProcess(stage1s, choice, opts);
  if (started !== undefined) return { uuid: ref.uuid, pid: started };
  const file = entrypointPath(choice, 'run', stage1s);
  if (file === undefined) throw new PodstageError('ERR_PODSTAGE_UNSUPPORTED', `stage1 ${choice.manifest.name} has no run entrypoint`);
  const output = openSync(pod.runOutput(opts.podDir), 'a', 0o600);
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  try {
    const child = spawn(file, formatRunArgs({ ...opts, lockFd: CHILD_LOCK_FD, detach: true }), {
      cwd: opts.podDir,
      detached: true,
      env: stage1Env({ [LOCK_FD_ENV]: String(CHILD_LOCK_FD) }),
      stdio: ['ignore', output, output, lock.fd],
    });
    child.on('exit', (code, signal) => {
      exited = { code, signal };
    });
    child.unref();
  } finally {
    closeSync(output);
    // The child holds the lock now (the same open file description): close ours without unlocking.
    closeSync(lock.fd);
  }
  const deadline = Date.now() + timeoutMs;
  const pause = backoff();
  for (;;) {
    const pid = readPidFile(opts.podDir);
    if (pid !== undefined) return { uuid: ref.uuid, pid };
    if (exited !== undefined) {
      throw new PodstageError('ERR_PODSTAGE_STAGE1', `stage1 ${choice.manifest.name} run exited (${exited.code ?? exited.signal}) before the pod started: ${tail(pod.runOutput(opts.podDir))}`);
    }
    if (Date.now() > deadline) throw new PodstageError('ERR_PODSTAGE_STAGE1', `pod ${ref.uuid} did not start within ${timeoutMs} ms`);
    await pause();
  }
}
