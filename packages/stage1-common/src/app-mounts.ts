/**
 * The mount namespace of one app, shared by every stage1 that assembles it
 * itself (fly on the host, host's supervisor inside the pod): the plan as data,
 * then carried out on the main thread with sync calls only, right before exec.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { PodstageError } from '@podstage/contract';
import {
  chroot, CLONE_NEWNS, mount, MS_BIND, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_PRIVATE, MS_RDONLY, MS_REC, MS_REMOUNT, secureJoin, unshare,
} from '@podstage/linux';
import type { AppPlan } from './app-plan.js';

export type MountOp =
  | { kind: 'overlay'; lower: string; upper: string; work: string }
  | { kind: 'rbind'; source: string; target: string }
  | { kind: 'proc'; target: string }
  | { kind: 'tmpfs'; target: string; options: string }
  | { kind: 'bind'; source: string; target: string; readOnly: boolean; recursive: boolean }
  | { kind: 'mask'; target: string }
  | { kind: 'readonly'; target: string }
  | { kind: 'readonly-root' };

/**
 * Overlay root, /proc /sys /dev from the surrounding namespace, tmpfs /tmp, volumes, then, as runc
 * orders them, the masked and read-only paths (over whatever is mounted there; /sys read-only) and
 * the read-only root. `ownProc`: the app is pid 1 of a pid namespace of its own, whose /proc is a
 * new one (the surrounding one shows the pod's).
 */
export function appMounts(plan: AppPlan, { ownProc = false } = {}): MountOp[] {
  const ops: MountOp[] = [{ kind: 'overlay', lower: plan.lower, upper: plan.upper, work: plan.work }];
  ops.push(ownProc ? { kind: 'proc', target: '/proc' } : { kind: 'rbind', source: '/proc', target: '/proc' });
  for (const fs of ['/sys', '/dev']) ops.push({ kind: 'rbind', source: fs, target: fs });
  if (!plan.mounts.some((m) => m.target === '/tmp')) ops.push({ kind: 'tmpfs', target: '/tmp', options: 'mode=1777' });
  for (const m of plan.mounts) ops.push({ kind: 'bind', ...m });
  if (plan.maskPaths) {
    for (const target of plan.maskedPaths) ops.push({ kind: 'mask', target });
    for (const target of ['/sys', ...plan.readonlyPaths]) ops.push({ kind: 'readonly', target });
  }
  if (plan.readOnlyRootFS) ops.push({ kind: 'readonly-root' });
  return ops;
}

/** Create the mount point inside the rootfs, never following the image's symlinks out of it. */
function mountTarget(rootfs: string, target: string, asFileOf?: string): string {
  const path = secureJoin(rootfs, target);
  if (asFileOf !== undefined && !statSync(asFileOf).isDirectory()) {
    try {
      statSync(path);
    } catch {
      mkdirSync(secureJoin(rootfs, target.split('/').slice(0, -1).join('/') || '/'), { recursive: true });
      writeFileSync(path, '');
    }
  } else {
    mkdirSync(path, { recursive: true });
  }
  return path;
}

export function setUpAppMountNamespace(rootfs: string, ops: MountOp[]): void {
  unshare(CLONE_NEWNS);
  mount(null, '/', null, MS_REC | MS_PRIVATE);
  for (const op of ops) {
    switch (op.kind) {
      case 'overlay':
        mount('overlay', rootfs, 'overlay', 0, `lowerdir=${op.lower},upperdir=${op.upper},workdir=${op.work}`);
        break;
      case 'rbind':
        mount(op.source, mountTarget(rootfs, op.target), null, MS_BIND | MS_REC);
        break;
      case 'proc':
        mount('proc', mountTarget(rootfs, op.target), 'proc', MS_NOSUID | MS_NODEV | MS_NOEXEC);
        break;
      case 'tmpfs':
        mount('tmpfs', mountTarget(rootfs, op.target), 'tmpfs', MS_NOSUID | MS_NODEV, op.options);
        break;
      case 'bind': {
        const target = mountTarget(rootfs, op.target, op.source);
        mount(op.source, target, null, MS_BIND | (op.recursive ? MS_REC : 0));
        if (op.readOnly) mount(null, target, null, MS_BIND | MS_REMOUNT | MS_RDONLY);
        break;
      }
      case 'mask':
        maskPath(rootfs, op.target);
        break;
      case 'readonly': {
        const target = existingInRoot(rootfs, op.target);
        if (target !== undefined) makeReadOnly(target);
        break;
      }
      case 'readonly-root':
        mount(null, rootfs, null, MS_BIND | MS_REMOUNT | MS_RDONLY);
        break;
    }
  }
}

/** A path of the app's /proc or /sys, resolved inside its root; undefined when this kernel has no such file. */
function existingInRoot(rootfs: string, path: string): string | undefined {
  const target = secureJoin(rootfs, path);
  return existsSync(target) ? target : undefined;
}

const KEPT_MOUNT_FLAGS: Record<string, number> = { nosuid: MS_NOSUID, nodev: MS_NODEV, noexec: MS_NOEXEC };

/** Mount points at or below `path` in this mount namespace, with the flags a remount must keep. */
function mountsBelow(path: string): { point: string; flags: number }[] {
  const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').flatMap((line) => {
    const fields = line.split(' ');
    const point = unescape(fields[4] ?? '');
    if (point !== path && !point.startsWith(`${path}/`)) return [];
    const flags = (fields[5] ?? '').split(',').reduce((f, o) => f | (KEPT_MOUNT_FLAGS[o] ?? 0), 0);
    return [{ point, flags }];
  });
}

/** Bind `target` onto itself and remount it and every mount below it read-only (runc's readonlyPaths, recursive). */
function makeReadOnly(target: string): void {
  mount(target, target, null, MS_BIND | MS_REC);
  for (const m of mountsBelow(target)) mount(null, m.point, null, MS_BIND | MS_REMOUNT | MS_RDONLY | m.flags);
}

/** runc's masking: /dev/null over a file, an empty read-only tmpfs over a directory. */
function maskPath(rootfs: string, path: string): void {
  const target = existingInRoot(rootfs, path);
  if (target === undefined) return;
  if (statSync(target).isDirectory()) mount('tmpfs', target, 'tmpfs', MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, 'size=0');
  else mount('/dev/null', target, null, MS_BIND);
}

/** oom_score_adj may only go up here: lowering it needs CAP_SYS_RESOURCE. */
export function setOomScoreAdj(app: string, value: number): void {
  const current = Number.parseInt(readFileSync('/proc/self/oom_score_adj', 'utf8'), 10);
  if (value < current) {
    throw new PodstageError('ERR_PODSTAGE_UNSUPPORTED', `apps[${app}] os/linux/oom-score-adj: ${value} is below the runtime's own (${current})`, {
      hint: "lowering oom_score_adj needs CAP_SYS_RESOURCE; give a value ≥ the parent's",
    });
  }
  writeFileSync('/proc/self/oom_score_adj', String(value));
}

export function enterRoot(rootfs: string): void {
  chroot(rootfs);
  process.chdir('/');
}
