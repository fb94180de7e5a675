/**
 * Pod, app and image events, found by comparing what is on disk now with
 * what it was at the previous look (rkt never implemented ListenEvents; this
 * is the read-only way: no hook in the runtime, no lock taken).
 */
import type { ImageStore } from '@podstage/images';
import { appInfos, listPodRefs, podState, type PodState } from '@podstage/runtime/status';

export interface Snapshot {
  pods: Map<string, PodState>;
  /** `uuid/app` → running or exited (with its code). */
  apps: Map<string, { state: 'running' | 'exited'; exitCode?: number }>;
  images: Map<string, string>;
}

export interface ApiEvent { type: string; id: string; from: string; time: string; data: { Key: string; value: string }[] }

export function snapshot(dataDir: string, store: ImageStore): Snapshot {
  const pods = new Map<string, PodState>();
  const apps: Snapshot['apps'] = new Map();
  for (const ref of listPodRefs(dataDir)) {
    const state = podState(ref);
    pods.set(ref.uuid, state);
    if (state !== 'running' && state !== 'exited') continue;
    try {
      for (const a of appInfos(ref)) if (a.state !== 'created') apps.set(`${ref.uuid}/${a.name}`, { state: a.state, ...(a.exitCode === undefined ? {} : { exitCode: a.exitCode }) });
    } catch {
      // its manifest is being written
    }
  }
  return { pods, apps, images: new Map(store.list().map((r) => [r.id, r.names[0] ?? ''])) };
}

/** How far along its life a pod is; a look may skip steps, whose events are still due (a running pod was prepared). */
const RANK: Partial<Record<PodState, number>> = { embryo: 0, preparing: 0, prepared: 1, running: 2, exited: 3, 'exited-garbage': 3 };
const STEPS: [number, string][] = [[1, 'EVENT_TYPE_POD_PREPARED'], [2, 'EVENT_TYPE_POD_STARTED'], [3, 'EVENT_TYPE_POD_EXITED']];

/** What happened between two snapshots, in a stable order: pods, apps, images. */
export function changes(before: Snapshot, after: Snapshot, time: string): ApiEvent[] {
  const events: ApiEvent[] = [];
  const ev = (type: string, id: string, from: string, data: Record<string, string> = {}) =>
    events.push({ type, id, from, time, data: Object.entries(data).map(([Key, value]) => ({ Key, value })) });
  for (const [uuid, state] of after.pods) {
    const was = before.pods.get(uuid);
    if (state === 'aborted-prepare' && was !== state) ev('EVENT_TYPE_POD_PREPARE_ABORTED', uuid, '');
    const from = was === undefined ? 0 : RANK[was] ?? Infinity;
    const to = RANK[state] ?? -1;
    for (const [rank, type] of STEPS) if (rank > from && rank <= to) ev(type, uuid, '');
  }
  for (const uuid of before.pods.keys()) if (!after.pods.has(uuid)) ev('EVENT_TYPE_POD_GARBAGE_COLLECTED', uuid, '');
  for (const [key, app] of after.apps) {
    const was = before.apps.get(key);
    const [uuid, name] = key.split('/') as [string, string];
    if (was === undefined || (app.state === 'running' && was.state !== 'running')) ev('EVENT_TYPE_APP_STARTED', uuid, name);
    if (app.state === 'exited' && was?.state !== 'exited') ev('EVENT_TYPE_APP_EXITED', uuid, name, { 'exit-code': String(app.exitCode ?? '') });
  }
  for (const [id, name] of after.images) if (!before.images.has(id)) ev('EVENT_TYPE_IMAGE_IMPORTED', id, name);
  for (const [id, name] of before.images) if (!after.images.has(id)) ev('EVENT_TYPE_IMAGE_REMOVED', id, name);
  return events;
}
