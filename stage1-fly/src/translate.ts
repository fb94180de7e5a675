/**
 * Pod manifest → what fly will do, as data: which pods it refuses and which
 * mounts it makes. Pure; exec.ts carries it out.
 */
import { ISOLATOR, PodstageError, type PodManifest, type RunOptions } from '@podstage/contract';
import type { AppPlan } from '@podstage/stage1-common';

export type MountOp =
  | { kind: 'overlay'; lower: string; upper: string; work: string }
  | { kind: 'rbind'; source: string; target: string }
  | { kind: 'tmpfs'; target: string; options: string }
  | { kind: 'bind'; source: string; target: string; readOnly: boolean; recursive: boolean }
  | { kind: 'readonly-root' };

function refuse(what: string, hint: string): never {
  throw new PodstageError('ERR_PODSTAGE_UNSUPPORTED', `stage1 fly: ${what}`, { hint });
}

/** fly shares every host namespace and cgroup: refuse what it cannot honour. */
export function checkFlySupport(m: PodManifest, o: Pick<RunOptions, 'mutable' | 'net' | 'insecureOptions'>): void {
  if (o.mutable) refuse('mutable pods (app sandbox) need a supervisor in the pod', 'use --stage1-name=host or runc');
  if (m.apps.length !== 1) refuse(`runs exactly one app per pod, this pod has ${m.apps.length}`, 'use --stage1-name=host or runc for multi-app pods');
  if (o.net !== 'host') refuse(`--net=${o.net}: fly shares the host's network namespace`, 'use --net=host or another stage1');
  const app = m.apps[0]!;
  for (const iso of [...(m.isolators ?? []), ...(app.app.isolators ?? [])]) {
    if (iso.name === ISOLATOR.cpu || iso.name === ISOLATOR.memory) {
      refuse(`cannot enforce ${iso.name}: apps run in the host's cgroups`, 'use --stage1-name=host or runc for resource limits');
    }
    if ((iso.name === ISOLATOR.seccompRetain || iso.name === ISOLATOR.seccompRemove) && !o.insecureOptions.includes('seccomp')) {
      refuse(`cannot enforce ${iso.name}: fly installs no seccomp filter`, 'pass --insecure-options=seccomp to run without it, or use another stage1');
    }
  }
}

/** The mounts of fly's private mount namespace, in order; targets are paths inside the app. */
export function flyMounts(plan: AppPlan): MountOp[] {
  const ops: MountOp[] = [{ kind: 'overlay', lower: plan.lower, upper: plan.upper, work: plan.work }];
  for (const fs of ['/proc', '/sys', '/dev']) ops.push({ kind: 'rbind', source: fs, target: fs });
  if (!plan.mounts.some((m) => m.target === '/tmp')) ops.push({ kind: 'tmpfs', target: '/tmp', options: 'mode=1777' });
  for (const m of plan.mounts) ops.push({ kind: 'bind', ...m });
  if (plan.readOnlyRootFS) ops.push({ kind: 'readonly-root' });
  return ops;
}
