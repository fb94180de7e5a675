/**
 * New CPU and memory limits for a running app of a sandbox (the CRI's
 * UpdateContainerResources): written to the app's cgroup, which the ABI puts
 * at podstage/<uuid>/apps/<app> on the host's v1 hierarchies (runc, host), and
 * recorded in the manifest, so that the app's next start keeps them. A stage1
 * that keeps the app's cgroup elsewhere (kvm: in its guest) is refused before
 * anything changes.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  appCgroup, cgroupLimitFiles, cgroupLimits, effectiveIsolators, ISOLATOR, PodstageError, readPodManifest, type Isolator, type ResourceValue,
} from '@podstage/contract';
import { CGROUP_ROOT } from '@podstage/linux';
import { findPod } from './lifecycle.js';
import { requireRunningSandbox, setAppResources } from './mutable.js';
import { readPodStage1 } from '../stage1/invoke.js';

export interface AppResources {
  /** Quantities as in the manifest: memory "67108864" or "64Mi", CPU "500m". */
  memory?: ResourceValue;
  cpu?: ResourceValue;
}

export async function updateAppResources(dataDir: string, id: string, app: string, r: AppResources): Promise<void> {
  const ref = findPod(dataDir, id);
  requireRunningSandbox(ref);
  const m = readPodManifest(ref.path);
  const current = m.apps.find((a) => a.name === app);
  if (current === undefined) throw new PodstageError('ERR_PODSTAGE_APP_NOT_FOUND', `pod ${ref.uuid} has no app named ${app}`);
  const cgroup = appCgroup(ref.uuid, app);
  if (!existsSync(join(CGROUP_ROOT, 'memory', cgroup))) {
    throw new PodstageError('ERR_PODSTAGE_UNSUPPORTED', `stage1 ${readPodStage1(ref.path).manifest.name}: app ${app} has no cgroup on this host (${cgroup}) to update`);
  }
  const resources: Isolator[] = [
    ...(r.memory === undefined ? [] : [{ name: ISOLATOR.memory, value: r.memory }]),
    ...(r.cpu === undefined ? [] : [{ name: ISOLATOR.cpu, value: r.cpu }]),
  ];
  const limits = cgroupLimits(effectiveIsolators([], resources));
  for (const f of cgroupLimitFiles(limits)) {
    const file = join(CGROUP_ROOT, f.controller, cgroup, f.file);
    try {
      writeFileSync(file, String(f.value));
    } catch (err) {
      // EBUSY: a memory limit below what the app uses now.
      throw new PodstageError('ERR_PODSTAGE_HOST', `app ${app}: write ${f.value} to ${file}: ${(err as NodeJS.ErrnoException).code}`);
    }
  }
  await setAppResources(ref, app, resources);
}
