import { setTimeout as sleep } from 'node:timers/promises';
import { status } from '@grpc/grpc-js';
import { pod, readPodManifest } from '@podstage/contract';
import { findPod, podState } from '@podstage/runtime/status';
import type { ApiContext } from '../context.js';
import { GrpcError } from '@podstage/grpc';
import { LogReader, type LogLine } from '../logs.js';

interface GetLogsRequest { pod_id: string; app_name: string; lines: number; follow: boolean; since_time: string; until_time: string }

/** An app's log lines (the last `lines`, between since and until, seconds); `follow` streams new ones until cancelled or the pod is gone. */
export async function GetLogs(ctx: ApiContext, req: GetLogsRequest, write: (r: object) => void, cancelled: () => boolean) {
  if (req.pod_id === '') throw new GrpcError(status.INVALID_ARGUMENT, 'pod_id: expected a pod UUID');
  const ref = findPod(ctx.dataDir, req.pod_id);
  const apps = readPodManifest(ref.path).apps.map((a) => a.name);
  const app = req.app_name !== '' ? req.app_name : apps.length === 1 ? apps[0]! : undefined;
  if (app === undefined) throw new GrpcError(status.INVALID_ARGUMENT, `app_name: pod ${ref.uuid} has ${apps.length} apps (${apps.join(', ')})`);
  if (!apps.includes(app)) throw new GrpcError(status.NOT_FOUND, `pod ${ref.uuid} has no app ${app}`);
  const since = Number(req.since_time);
  const until = Number(req.until_time);
  const wanted = (l: LogLine) => (since === 0 || l.seconds >= since) && (until === 0 || l.seconds <= until);
  const reader = new LogReader(pod.appLog(ref.path, app));
  let lines = reader.read().filter(wanted);
  if (req.lines > 0) lines = lines.slice(-req.lines);
  if (lines.length > 0) write({ lines: lines.map((l) => l.text) });
  while (req.follow && !cancelled()) {
    await sleep(ctx.pollMs);
    const more = reader.read().filter(wanted);
    if (more.length > 0) write({ lines: more.map((l) => l.text) });
    let gone = false;
    try {
      gone = podState(findPod(ctx.dataDir, ref.uuid)) === 'garbage';
    } catch {
      gone = true;
    }
    if (gone) return;
  }
}
