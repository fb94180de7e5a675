import { setTimeout as sleep } from 'node:timers/promises';
import { readPidFile, type StopOptions } from '@podstage/contract';
import { processAlive } from '@podstage/stage1-common';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GUEST_STOP_TIMEOUT_S, STOP_REQUEST } from '../translate.js';

/**
 * Ask the guest to stop its apps (a request file in the shared pod directory:
 * SIGTERM, then SIGKILL after 10 s; --force: SIGKILL at once), let it halt;
 * if it does not, stop QEMU through the pod's process.
 */
export async function stop(o: StopOptions): Promise<void> {
  const pid = readPidFile(o.podDir);
  if (pid === undefined || !processAlive(pid)) return;
  writeFileSync(join(o.podDir, STOP_REQUEST), o.force ? 'force\n' : 'graceful\n');
  const guestDeadline = Date.now() + (o.force ? 5_000 : (GUEST_STOP_TIMEOUT_S + 10) * 1000);
  while (processAlive(pid) && Date.now() < guestDeadline) await sleep(100);
  if (processAlive(pid)) process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 5_000;
  while (processAlive(pid) && Date.now() < deadline) await sleep(50);
  if (processAlive(pid)) process.kill(pid, 'SIGKILL');
}
