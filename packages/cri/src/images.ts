/** Images of the store as the CRI's Image message, and finding one by what the kubelet calls it. */
import type { ImageRecord, ImageStore } from '@podstage/images';

const repository = (name: string): string => name.replace(/@sha256:[0-9a-f]+$/, '').replace(/:[^:/]+$/, '');

/** The image's user, as containerd reports it: a number as uid, a name as username (the part before any `:group`). */
function imageUser(store: ImageStore, r: ImageRecord): { uid: { value: string } | null; username: string } {
  const user = store.runConfig(r.id).user.split(':')[0] ?? '';
  if (/^[0-9]+$/.test(user)) return { uid: { value: user }, username: '' };
  return { uid: null, username: user };
}

/** The digests its registries serve it by; a repository it came to otherwise (an archive's name) by the image id. */
function repoDigests(r: ImageRecord): string[] {
  const pulled = r.repoDigests ?? [];
  const others = r.names.map(repository).filter((repo) => !pulled.some((d) => d.startsWith(`${repo}@`))).map((repo) => `${repo}@${r.id}`);
  return [...new Set([...pulled, ...others])];
}

export function criImage(store: ImageStore, r: ImageRecord) {
  return {
    id: r.id,
    repo_tags: r.names.filter((n) => !n.includes('@')),
    repo_digests: repoDigests(r),
    size: String(r.size),
    ...imageUser(store, r),
    spec: { image: r.id, annotations: {}, user_specified_image: '', runtime_handler: '', image_ref: '' },
    pinned: false,
  };
}

/** By id, name or digest reference (the image's own or one its registry serves it by); undefined when the store has none. */
export function findImage(store: ImageStore, ref: string): ImageRecord | undefined {
  try {
    return store.resolve(ref);
  } catch {
    const digest = /@(sha256:[0-9a-f]{64})$/.exec(ref)?.[1];
    return digest === undefined ? undefined : store.list().find((r) => r.id === digest || (r.repoDigests ?? []).some((d) => d.endsWith(`@${digest}`)));
  }
}
