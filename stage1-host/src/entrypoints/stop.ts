import { setTimeout as sleep } from 'node:timers/promises';
import { readPidFile, type StopOptions } from '@podstage/contract';
import { sendControl } from '@podstage/stage1-common';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * Ask the supervisor to stop the apps (SIGTERM, 10 s, SIGKILL; --force: SIGKILL),
 * then wait for nspawn to exit. If the supervisor does not answer, signal
 * nspawn itself, which terminates the pod.
 */
export async function stop(o: StopOptions): Promise<void> {
  const pid = readPidFile(o.podDir);
  if (pid === undefined || !alive(pid)) return;
  const reply = await sendControl(o.podDir, { op: 'stop', force: o.force }, 5_000).catch(() => undefined);
  if (reply === undefined || !reply.ok) process.kill(pid, o.force ? 'SIGKILL' : 'SIGTERM');
  const deadline = Date.now() + (o.force ? 5_000 : 15_000);
  while (alive(pid) && Date.now() < deadline) await sleep(50);
  if (alive(pid)) process.kill(pid, 'SIGKILL');
  while (alive(pid)) await sleep(50);
}
