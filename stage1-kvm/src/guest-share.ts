/**
 * What the guest sees of the host, laid out so that a hostile guest cannot
 * steer anything the host does later (a mutable pod mounts new apps' roots
 * while the guest runs):
 *
 *   stage1/kvm/share    host-side staging, a bind of itself with shared propagation:
 *                         apps/<app>/rootfs     bind of the app's overlay
 *                         volumes/<app>/<n>     bind of the app's n-th volume source
 *                         scripts/              the app and exec scripts the agent runs
 *   stage1/kvm/export   read-only bind of share (a peer: mounts made in share appear
 *                       here): the guest's /pod. The guest writes only inside the
 *                       mounts it holds, never into the directories the host mounts on.
 *   stage1/kvm/output   writable, the guest's /out: flat files the host opens with
 *                       O_NOFOLLOW (host/kvm-io.c).
 *   stage1/kvm/agent.in, agent.out
 *                       the FIFOs of the agent's port (QEMU's pipe chardev).
 */
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mount, MS_BIND, MS_RDONLY, MS_REC, MS_REMOUNT, MS_SHARED } from '@podstage/linux';
import { isMountPoint, unmountAll, type AppPlan } from '@podstage/stage1-common';

export const kvmDir = (podDir: string) => join(podDir, 'stage1', 'kvm');
export const shareDir = (podDir: string) => join(kvmDir(podDir), 'share');
export const exportDir = (podDir: string) => join(kvmDir(podDir), 'export');
export const outputDir = (podDir: string) => join(kvmDir(podDir), 'output');
/** The agent port's FIFOs, `<this>.in` and `<this>.out` (created by libexec/kvm-runtime). */
export const agentPipe = (podDir: string) => join(kvmDir(podDir), 'agent');
export const agentRequests = (podDir: string) => `${agentPipe(podDir)}.in`;
/** Where the host writes the scripts the agent runs (GUEST_SCRIPTS_DIR in the guest). */
export const scriptsDir = (podDir: string) => join(shareDir(podDir), 'scripts');

const sharedRootfs = (podDir: string, app: string) => join(shareDir(podDir), 'apps', app, 'rootfs');
const sharedVolumes = (podDir: string, app: string) => join(shareDir(podDir), 'volumes', app);

export function setUpShares(podDir: string): void {
  const share = shareDir(podDir);
  const exported = exportDir(podDir);
  for (const d of [share, exported, outputDir(podDir), scriptsDir(podDir)]) mkdirSync(d, { recursive: true });
  if (!isMountPoint(share)) {
    mount(share, share, null, MS_BIND);
    mount(null, share, null, MS_SHARED);
  }
  if (!isMountPoint(exported)) {
    mount(share, exported, null, MS_BIND);
    mount(null, exported, null, MS_REMOUNT | MS_BIND | MS_RDONLY);
  }
}

/** Bind the app's root and volumes into the share (read-only volumes are read-only on the host side too). */
export function shareApp(podDir: string, plan: AppPlan): void {
  const rootfs = sharedRootfs(podDir, plan.name);
  mkdirSync(rootfs, { recursive: true });
  if (!isMountPoint(rootfs)) mount(plan.rootfs, rootfs, null, MS_BIND);
  plan.mounts.forEach((v, i) => {
    const target = join(sharedVolumes(podDir, plan.name), String(i));
    if (isMountPoint(target)) return;
    mkdirSync(sharedVolumes(podDir, plan.name), { recursive: true });
    if (statSync(v.source).isDirectory()) mkdirSync(target, { recursive: true });
    else writeFileSync(target, '');
    mount(v.source, target, null, MS_BIND | (v.recursive ? MS_REC : 0));
    if (v.readOnly) {
      // A remount does not propagate: the guest's copy under export is remounted on its own.
      for (const at of [target, join(exportDir(podDir), 'volumes', plan.name, String(i))]) mount(null, at, null, MS_REMOUNT | MS_BIND | MS_RDONLY);
    }
  });
}

export function unshareApp(podDir: string, app: string): void {
  unmountAll(sharedRootfs(podDir, app));
  let volumes: string[] = [];
  try {
    volumes = readdirSync(sharedVolumes(podDir, app));
  } catch {
    // the app has no volumes
  }
  for (const v of volumes) unmountAll(join(sharedVolumes(podDir, app), v));
}

/** gc and the end of a pod: both binds and everything under them. */
export function tearDownShares(podDir: string): void {
  unmountAll(exportDir(podDir));
  unmountAll(shareDir(podDir));
}

/** Remove a file the guest may have left in the output share (unlink never follows a symlink; a directory stays). */
export function removeGuestFile(path: string): void {
  try {
    rmSync(path, { force: true });
  } catch {
    // not a file: kvm-io will refuse to read it
  }
}
