/**
 * What a pod would otherwise fail on only once a stage1 runs it, checked
 * before anything is written: host volume paths, the apps' users and groups
 * against the image's own /etc/passwd and /etc/group (with the resolver the
 * stage1s use), mount targets inside the image (a built-in stage1's own check
 * follows: seccomp sets, what it refuses). Each error
 * names where the value came from: the flag the user typed, else the
 * manifest field.
 */
import { statSync } from 'node:fs';
import {
  isPodstageError, PodstageError, type PodManifest, type RuntimeApp, type Volume,
} from '@podstage/contract';
import { manifestIdentityFields, resolveIdentity, secureJoin } from '@podstage/linux';

/** A manifest field ("apps[web].app.user") as the user knows it: the flag they typed, or the field itself. */
export type FieldLabel = (field: string) => string;

export const manifestFields: FieldLabel = (field) => field;

/**
 * An error about a manifest field (`err.field`, its message led by it), led instead by what
 * the caller calls that field: a stage1's check knows only the manifest.
 */
export function relabelField(err: unknown, label: FieldLabel): unknown {
  if (!isPodstageError(err) || err.field === undefined || !err.message.startsWith(`${err.field}: `)) return err;
  const message = `${label(err.field)}: ${err.message.slice(err.field.length + 2)}`;
  return new PodstageError(err.code, message, { field: err.field, ...(err.hint === undefined ? {} : { hint: err.hint }) });
}

function checkHostVolume(v: Volume, where: string): void {
  if (v.kind !== 'host' || v.source === undefined) return;
  try {
    statSync(v.source);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new PodstageError('ERR_PODSTAGE_MANIFEST', `${where}: host path ${v.source} ${code === 'ENOENT' ? 'does not exist' : `cannot be used (${code})`}`, {
      hint: 'give an existing host path, or kind=empty for a directory of the pod\'s own',
    });
  }
}

/** Stage1 makes each mount point with secureJoin inside the app's root: a target that cannot resolve (a symlink loop) fails here. */
function checkMountTargets(tree: string, app: RuntimeApp, label: FieldLabel): void {
  (app.mounts ?? []).forEach((mt, i) => {
    try {
      secureJoin(tree, mt.path);
    } catch (err) {
      if ((err as { code?: string }).code !== 'ERR_PODSTAGE_UNSAFE_PATH') throw err;
      throw new PodstageError('ERR_PODSTAGE_MANIFEST', `${label(`apps[${app.name}].mounts[${i}]`)}: mount target ${mt.path} does not resolve in the image (a symlink loop)`, {
        hint: 'mount the volume at another path',
      });
    }
  });
}

export async function checkPodInputs(m: PodManifest, treePath: (imageId: string) => Promise<string>, label = manifestFields): Promise<void> {
  for (const v of m.volumes ?? []) checkHostVolume(v, label(`volumes[${v.name}]`));
  for (const app of m.apps) {
    const tree = await treePath(app.image.id);
    const fields = manifestIdentityFields(app.name);
    resolveIdentity(tree, app.name, app.app.user, app.app.group, app.app.supplementaryGIDs, { user: label(fields.user), group: label(fields.group) });
    checkMountTargets(tree, app, label);
  }
}
