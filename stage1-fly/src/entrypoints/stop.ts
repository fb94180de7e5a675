import { setTimeout as sleep } from 'node:timers/promises';
import { readPidFile, STOP_TIMEOUT_MS, type StopOptions } from '@podstage/contract';
import { processAlive } from '@podstage/stage1-common';

/** SIGTERM, wait, then SIGKILL (at once with --force). The app is the pod's pid. */
export async function stop(o: StopOptions): Promise<void> {
  const pid = readPidFile(o.podDir);
  if (pid === undefined || !processAlive(pid)) return;
  process.kill(pid, o.force ? 'SIGKILL' : 'SIGTERM');
  const deadline = Date.now() + (o.force ? 2_000 : STOP_TIMEOUT_MS);
  while (processAlive(pid) && Date.now() < deadline) await sleep(50);
  if (processAlive(pid)) process.kill(pid, 'SIGKILL');
}
