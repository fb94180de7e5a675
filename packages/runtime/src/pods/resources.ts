/**
 * New CPU and memory limits for a running app of a sandbox (the CRI's
 * UpdateContainerResources): written to the app's cgroup, which the ABI puts
 * at podstage/<uuid>/apps/<app> on the host's v1 hierarchies (runc, host), and
 * recorded in the manifest, so that the app's next start keeps them. A stage1
 * that keeps the app's cgroup elsewhere (kvm: in its guest) applies them itself
 * (its `app-update`, ABI 5); one that does neither is refused before anything changes.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  appCgroupOf, cgroupLimitFiles, cgroupLimits, cpuLimitMillis, effectiveIsolators, ISOLATOR, memoryLimitBytes, PodstageError, readPodManifest, type AppUsage, type CgroupLimits, type Isolator, type ResourceValue,
} from '@podstage/contract';
import { CGROUP_ROOT } from '@podstage/linux';
import { findPod } from './lifecycle.js';
import { requireRunningSandbox, setAppResources } from './mutable.js';
import { callAppStats, callAppUpdate, readPodStage1 } from '../stage1/invoke.js';
import type { Stage1Registry } from '../stage1/registry.js';

export interface AppResources {
  /** Quantities as in the manifest: memory "67108864" or "64Mi", CPU "500m". */
  memory?: ResourceValue;
  cpu?: ResourceValue;
}

export async function updateAppResources(dataDir: string, stage1s: Stage1Registry, id: string, app: string, r: AppResources): Promise<void> {
  const ref = findPod(dataDir, id);
  requireRunningSandbox(ref);
  if (!readPodManifest(ref.path).apps.some((a) => a.name === app)) throw new PodstageError('ERR_PODSTAGE_APP_NOT_FOUND', `pod ${ref.uuid} has no app named ${app}`);
  const resources: Isolator[] = [
    ...(r.memory === undefined ? [] : [{ name: ISOLATOR.memory, value: r.memory }]),
    ...(r.cpu === undefined ? [] : [{ name: ISOLATOR.cpu, value: r.cpu }]),
  ];
  const iso = effectiveIsolators([], resources);
  const choice = readPodStage1(ref.path);
  if (choice.manifest.entrypoints['app-update'] !== undefined) {
    const memoryBytes = memoryLimitBytes(iso), cpuMillis = cpuLimitMillis(iso);
    await callAppUpdate(stage1s, choice, {
      uuid: ref.uuid, podDir: ref.path, app, ...(memoryBytes === undefined ? {} : { memoryBytes }), ...(cpuMillis === undefined ? {} : { cpuMillis }),
    });
  } else {
    writeAppCgroup(ref.path, app, cgroupLimits(iso), choice.manifest.name);
  }
  await setAppResources(ref, app, resources);
}

/** The limits in the app's cgroup at the ABI's host path. */
function writeAppCgroup(podDir: string, app: string, limits: CgroupLimits, stage1: string): void {
  const cgroup = appCgroupOf(podDir, app);
  if (!existsSync(join(CGROUP_ROOT, 'memory', cgroup))) {
    throw new PodstageError('ERR_PODSTAGE_UNSUPPORTED', `stage1 ${stage1}: app ${app} has no cgroup on this host (${cgroup}) to update`);
  }
  for (const f of cgroupLimitFiles(limits)) {
    const file = join(CGROUP_ROOT, f.controller, cgroup, f.file);
    try {
      writeFileSync(file, String(f.value));
    } catch (err) {
      // EBUSY: a memory limit below what the app uses now.
      throw new PodstageError('ERR_PODSTAGE_HOST', `app ${app}: write ${f.value} to ${file}: ${(err as NodeJS.ErrnoException).code}`);
    }
  }
}

/**
 * A running app's usage as its stage1 measures it (`app-stats`, ABI 5: kvm,
 * whose apps' cgroups are in the guest); undefined for a stage1 without it,
 * whose apps' cgroups are on the host at the ABI's path.
 */
export async function appUsage(dataDir: string, stage1s: Stage1Registry, id: string, app: string): Promise<AppUsage | undefined> {
  const ref = findPod(dataDir, id);
  const choice = readPodStage1(ref.path);
  if (choice.manifest.entrypoints['app-stats'] === undefined) return undefined;
  return callAppStats(stage1s, choice, { uuid: ref.uuid, podDir: ref.path, app, force: false });
}
