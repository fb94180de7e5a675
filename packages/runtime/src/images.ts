/**
 * Image removal under the rule the store cannot know: never remove an image a
 * pod uses (any pod still on disk, whatever its state).
 */
import type { ImageRecord, ImageStore } from '@podstage/images';
import { imagesInUse } from './pods/images-in-use.js';

export async function removeImage(dataDir: string, store: ImageStore, ref: string): Promise<ImageRecord> {
  const record = await store.resolve(ref);
  const inUse = imagesInUse(dataDir);
  await store.remove(record.id, (id) => inUse.has(id));
  return record;
}

/** Images no pod uses and nobody used within `graceS`, oldest first; each removal's outcome is reported. */
export async function gcImages(
  dataDir: string, store: ImageStore, { graceS }: { graceS: number },
): Promise<{ removed: ImageRecord[]; failed: { image: ImageRecord; error: unknown }[] }> {
  const inUse = imagesInUse(dataDir);
  const cutoff = Date.now() - graceS * 1000;
  const out = { removed: [] as ImageRecord[], failed: [] as { image: ImageRecord; error: unknown }[] };
  for (const image of store.list()) {
    if (inUse.has(image.id) || Date.parse(image.lastUsedAt ?? image.importedAt) > cutoff) continue;
    try {
      await store.remove(image.id, (id) => inUse.has(id));
      out.removed.push(image);
    } catch (error) {
      out.failed.push({ image, error });
    }
  }
  return out;
}
