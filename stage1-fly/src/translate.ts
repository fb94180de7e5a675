/**
 * Pod manifest → what fly will do, as data: which pods it refuses and which
 * mounts it makes. Pure; exec.ts carries it out.
 */
import { effectiveIsolators, ISOLATOR, memoryLimitBytes, PodstageError, type PodManifest, type Stage1CheckOptions } from '@podstage/contract';
import { checkSeccompIsolators } from '@podstage/stage1-common/seccomp';

function refuse(what: string, hint: string): never {
  throw new PodstageError('ERR_PODSTAGE_UNSUPPORTED', `stage1 fly: ${what}`, { hint });
}

/** fly shares every host namespace and cgroup: refuse what it cannot honour. */
export function checkFlySupport(m: PodManifest, o: Stage1CheckOptions): void {
  checkSeccompIsolators(m);
  if (o.mutable) refuse('mutable pods (app sandbox) need a supervisor in the pod', 'use --stage1-name=host or runc');
  if (m.apps.length !== 1) refuse(`runs exactly one app per pod, this pod has ${m.apps.length}`, 'use --stage1-name=host or runc for multi-app pods');
  for (const stream of ['stdout', 'stderr'] as const) {
    const mode = o[stream] ?? 'stream';
    if (mode !== 'stream') refuse(`--${stream}=${mode}: the app writes straight to the caller's ${stream}, there is no supervisor to keep a log`, 'use --stage1-name=host');
  }
  if (o.net !== 'host' && o.net !== 'default') refuse(`--net=${o.net}: fly shares the host's network namespace`, 'use --net=host or another stage1');
  const iso = effectiveIsolators(m.isolators, m.apps[0]!.app.isolators);
  const cannotEnforce = (name: string) => refuse(`cannot enforce ${name}: apps run in the host's cgroups`, 'use --stage1-name=host or runc for resource limits');
  if (iso.cpu !== undefined) cannotEnforce(ISOLATOR.cpu);
  // A memory limit of 0 is no limit: nothing to enforce.
  if (memoryLimitBytes(iso) !== undefined) cannotEnforce(ISOLATOR.memory);
}
