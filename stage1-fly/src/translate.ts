/**
 * Pod manifest → what fly will do, as data: which pods it refuses and which
 * mounts it makes. Pure; exec.ts carries it out.
 */
import { ISOLATOR, PodstageError, type PodManifest, type Stage1CheckOptions } from '@podstage/contract';

function refuse(what: string, hint: string): never {
  throw new PodstageError('ERR_PODSTAGE_UNSUPPORTED', `stage1 fly: ${what}`, { hint });
}

/** fly shares every host namespace and cgroup: refuse what it cannot honour. */
export function checkFlySupport(m: PodManifest, o: Stage1CheckOptions): void {
  if (o.mutable) refuse('mutable pods (app sandbox) need a supervisor in the pod', 'use --stage1-name=host or runc');
  if (m.apps.length !== 1) refuse(`runs exactly one app per pod, this pod has ${m.apps.length}`, 'use --stage1-name=host or runc for multi-app pods');
  for (const stream of ['stdout', 'stderr'] as const) {
    const mode = o[stream] ?? 'stream';
    if (mode !== 'stream') refuse(`--${stream}=${mode}: the app writes straight to the caller's ${stream}, there is no supervisor to keep a log`, 'use --stage1-name=host');
  }
  if (o.net !== 'host' && o.net !== 'default') refuse(`--net=${o.net}: fly shares the host's network namespace`, 'use --net=host or another stage1');
  const app = m.apps[0]!;
  for (const iso of [...(m.isolators ?? []), ...(app.app.isolators ?? [])]) {
    if (iso.name === ISOLATOR.cpu || iso.name === ISOLATOR.memory) {
      refuse(`cannot enforce ${iso.name}: apps run in the host's cgroups`, 'use --stage1-name=host or runc for resource limits');
    }
  }
}
