/** Images of the store as the CRI's Image message, and finding one by what the kubelet calls it. */
import type { ImageRecord, ImageStore } from '@podstage/images';

const repository = (name: string): string => name.replace(/@sha256:[0-9a-f]+$/, '').replace(/:[^:/]+$/, '');

export function criImage(r: ImageRecord) {
  return {
    id: r.id,
    repo_tags: r.names.filter((n) => !n.includes('@')),
    repo_digests: [...new Set(r.names.map((n) => `${repository(n)}@${r.id}`))],
    size: String(r.size),
    uid: null,
    username: '',
    spec: { image: r.id, annotations: {}, user_specified_image: '', runtime_handler: '', image_ref: '' },
    pinned: false,
  };
}

/** By id, name or digest reference; undefined when the store has none. */
export function findImage(store: ImageStore, ref: string): ImageRecord | undefined {
  try {
    return store.resolve(ref);
  } catch {
    const digest = /@(sha256:[0-9a-f]{64})$/.exec(ref)?.[1];
    return digest === undefined ? undefined : store.list().find((r) => r.id === digest);
  }
}
