import { setTimeout as sleep } from 'node:timers/promises';
import { readPidFile, type StopOptions } from '@podstage/contract';
import { processAlive } from '@podstage/stage1-common';

/** Stop the pod's process, which stops QEMU (SIGTERM; --force: SIGKILL to both after a moment). */
export async function stop(o: StopOptions): Promise<void> {
  const pid = readPidFile(o.podDir);
  if (pid === undefined || !processAlive(pid)) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + (o.force ? 2_000 : 10_000);
  while (processAlive(pid) && Date.now() < deadline) await sleep(50);
  if (processAlive(pid)) process.kill(pid, 'SIGKILL');
}
