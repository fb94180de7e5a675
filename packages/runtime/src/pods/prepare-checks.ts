/**
 * What a pod would otherwise fail on only once a stage1 runs it, checked
 * before anything is written: host volume paths, the apps' users and groups
 * against the image's own /etc/passwd and /etc/group (with the resolver the
 * stage1s use), seccomp sets, mount targets inside the image. Each error
 * names where the value came from: the flag the user typed, else the
 * manifest field.
 */
import { statSync } from 'node:fs';
import {
  effectiveIsolators, ISOLATOR, isPodstageError, PodstageError, type Isolator, type PodManifest, type RuntimeApp, type Volume,
} from '@podstage/contract';
import { secureJoin } from '@podstage/linux';
import { buildProfile } from '@podstage/seccomp';
import { manifestIdentityFields, resolveIdentity } from '@podstage/stage1-common/users';

/** A manifest field ("apps[web].app.user") as the user knows it: the flag they typed, or the field itself. */
export type FieldLabel = (field: string) => string;

export const manifestFields: FieldLabel = (field) => field;

/** The same error, its message led by where the value came from. */
function relabel(err: unknown, where: string): unknown {
  if (!isPodstageError(err)) return err;
  return new PodstageError(err.code, `${where}: ${err.message}`, err.hint === undefined ? {} : { hint: err.hint });
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

const isSeccomp = (i: Isolator) => i.name === ISOLATOR.seccompRetain || i.name === ISOLATOR.seccompRemove;

/** The field of the seccomp isolator that applies to the app: its own, else the pod's. */
function seccompField(m: PodManifest, app: RuntimeApp): string {
  const own = (app.app.isolators ?? []).findLastIndex(isSeccomp);
  if (own >= 0) return `apps[${app.name}].app.isolators[${own}]`;
  const pods = (m.isolators ?? []).findLastIndex(isSeccomp);
  return pods >= 0 ? `isolators[${pods}]` : `apps[${app.name}]`;
}

function checkSeccomp(m: PodManifest, app: RuntimeApp, label: FieldLabel): void {
  try {
    buildProfile(effectiveIsolators(m.isolators, app.app.isolators), { disabled: false });
  } catch (err) {
    throw relabel(err, label(seccompField(m, app)));
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
    checkSeccomp(m, app, label);
    checkMountTargets(tree, app, label);
  }
}
