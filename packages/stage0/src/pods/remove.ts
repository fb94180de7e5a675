import { rmSync } from 'node:fs';
import { PodstageError } from '@podstage/contract';
import { callGc, readPodStage1 } from '../stage1/invoke.js';
import type { PodRef } from './lifecycle.js';
import { mountsUnder, unmountAllUnder } from './mounts.js';

/** Let the pod's stage1 clean up, then delete the directory; never through a mount. */
export async function deletePod(ref: PodRef, { runStage1Gc = true } = {}): Promise<void> {
  if (runStage1Gc) {
    try {
      await callGc(readPodStage1(ref.path), { uuid: ref.uuid, podDir: ref.path });
    } catch (err) {
      // A pod whose prepare died may have no stage1.json: nothing for a stage1 to clean.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  unmountAllUnder(ref.path);
  const left = mountsUnder(ref.path);
  if (left.length > 0) {
    throw new PodstageError('ERR_PODSTAGE_POD_STATE', `pod ${ref.uuid}: still mounted at ${left.join(', ')}; not deleting`);
  }
  rmSync(ref.path, { recursive: true, force: true });
}
