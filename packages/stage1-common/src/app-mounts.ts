/**
 * The mount namespace of one app, shared by every stage1 that assembles it
 * itself (fly on the host, host's supervisor inside the pod): the plan as data,
 * then carried out on the main thread with sync calls only, right before exec.
 */
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { PodstageError } from '@podstage/contract';
import {
  chroot, CLONE_NEWNS, mount, MS_BIND, MS_NODEV, MS_NOSUID, MS_PRIVATE, MS_RDONLY, MS_REC, MS_REMOUNT, secureJoin, unshare,
} from '@podstage/linux';
import type { AppPlan } from './app-plan.js';

export type MountOp =
  | { kind: 'overlay'; lower: string; upper: string; work: string }
  | { kind: 'rbind'; source: string; target: string }
  | { kind: 'tmpfs'; target: string; options: string }
  | { kind: 'bind'; source: string; target: string; readOnly: boolean; recursive: boolean }
  | { kind: 'readonly-root' };

/** Overlay root, /proc /sys /dev from the surrounding namespace, tmpfs /tmp, volumes, read-only root last. */
export function appMounts(plan: AppPlan): MountOp[] {
  const ops: MountOp[] = [{ kind: 'overlay', lower: plan.lower, upper: plan.upper, work: plan.work }];
  for (const fs of ['/proc', '/sys', '/dev']) ops.push({ kind: 'rbind', source: fs, target: fs });
  if (!plan.mounts.some((m) => m.target === '/tmp')) ops.push({ kind: 'tmpfs', target: '/tmp', options: 'mode=1777' });
  for (const m of plan.mounts) ops.push({ kind: 'bind', ...m });
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
      case 'tmpfs':
        mount('tmpfs', mountTarget(rootfs, op.target), 'tmpfs', MS_NOSUID | MS_NODEV, op.options);
        break;
      case 'bind': {
        const target = mountTarget(rootfs, op.target, op.source);
        mount(op.source, target, null, MS_BIND | (op.recursive ? MS_REC : 0));
        if (op.readOnly) mount(null, target, null, MS_BIND | MS_REMOUNT | MS_RDONLY);
        break;
      }
      case 'readonly-root':
        mount(null, rootfs, null, MS_BIND | MS_REMOUNT | MS_RDONLY);
        break;
    }
  }
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
