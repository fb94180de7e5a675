/** Ending processes the way `stop` does (ABI.md): SIGTERM, a grace period, SIGKILL, and back when they are gone. */
import { readFileSync } from 'node:fs';
import { PodstageError, STOP_TIMEOUT_MS } from '@podstage/contract';
import { backoff } from './backoff.js';

/**
 * Whether `pid` has exited. A zombie has: its parent reaps it when it gets to it (PID 1
 * on some hosts takes up to a second), and nothing of the process runs any more.
 */
export function processGone(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH') return true;
    throw err;
  }
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3); // after "pid (comm) "; comm may hold ')'
  return state === 'Z' || state === 'X';
}

/** Send `signal` to each pid; returns how many there were. */
export function signalAll(pids: readonly number[], signal: NodeJS.Signals): number {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
  return pids.length;
}

export interface TerminateOptions {
  /** SIGKILL at once. */
  force?: boolean;
  graceMs?: number;
  /** How long processes may survive SIGKILL before this gives up with an error. */
  killTimeoutMs?: number;
  /** Whose processes they are, for the error: `pod UUID`. */
  owner: string;
}

/**
 * SIGTERM to every process `pids` lists, SIGKILL to those left after the grace period
 * (at once with `force`); returns when none of them is left. `pids` is asked again on
 * every round, so a list that grows (a cgroup's processes) is followed.
 */
export async function terminate(
  pids: () => readonly number[],
  { force = false, graceMs = STOP_TIMEOUT_MS, killTimeoutMs = 5_000, owner }: TerminateOptions,
): Promise<void> {
  const left = () => pids().filter((pid) => !processGone(pid));
  if (!force && signalAll(left(), 'SIGTERM') > 0) {
    const graceEnd = Date.now() + graceMs;
    const pause = backoff();
    while (left().length > 0 && Date.now() < graceEnd) await pause();
  }
  const deadline = Date.now() + killTimeoutMs;
  const pause = backoff();
  while (signalAll(left(), 'SIGKILL') > 0) {
    if (Date.now() > deadline) {
      throw new PodstageError('ERR_PODSTAGE_HOST', `processes ${left().join(', ')} of ${owner} survive SIGKILL after ${killTimeoutMs} ms`);
    }
    await pause();
  }
}
