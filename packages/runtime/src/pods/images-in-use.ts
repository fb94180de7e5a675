import { readPodManifest } from '@podstage/contract';
import { listPodRefs } from './lifecycle.js';

/** Image IDs referenced by any pod that is not garbage: those must stay in the store. */
export function imagesInUse(dataDir: string): Set<string> {
  const ids = new Set<string>();
  for (const ref of listPodRefs(dataDir)) {
    if (ref.dir === 'garbage') continue;
    try {
      for (const app of readPodManifest(ref.path).apps) ids.add(app.image.id);
    } catch {
      // a pod without a manifest yet holds no image
    }
  }
  return ids;
}
