import { readPidFile, type StopOptions } from '@podstage/contract';
import { terminate } from '@podstage/stage1-common';

/** SIGTERM, wait, then SIGKILL (at once with --force); returns when the app, the pod's pid, is gone. */
export async function stop(o: StopOptions): Promise<void> {
  const pid = readPidFile(o.podDir);
  if (pid !== undefined) await terminate(() => [pid], { force: o.force, owner: `pod ${o.uuid}` });
}
