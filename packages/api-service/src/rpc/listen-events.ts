import { setTimeout as sleep } from 'node:timers/promises';
import type { ApiContext } from '../context.js';
import { changes, snapshot, type ApiEvent } from '../events.js';

interface EventFilter { types: string[]; ids: string[]; names: string[]; since_time: string; until_time: string }

const matches = (e: ApiEvent, f: EventFilter | null) => f === null
  || ((f.types.length === 0 || f.types.includes(e.type)) && (f.ids.length === 0 || f.ids.includes(e.id)) && (f.names.length === 0 || f.names.includes(e.from)));

/**
 * Events from now on, as they happen (times in seconds). `until_time` ends the stream;
 * `since_time` only drops what is older (nothing is replayed: there is no history on disk).
 */
export async function ListenEvents(ctx: ApiContext, req: { filter: EventFilter | null }, write: (r: object) => void, cancelled: () => boolean) {
  const until = Number(req.filter?.until_time ?? 0);
  const since = Number(req.filter?.since_time ?? 0);
  let last = snapshot(ctx.dataDir, ctx.store);
  while (!cancelled()) {
    await sleep(ctx.pollMs);
    const now = Math.floor(Date.now() / 1000);
    if (until > 0 && now > until) return;
    const next = snapshot(ctx.dataDir, ctx.store);
    const events = changes(last, next, String(now)).filter((e) => matches(e, req.filter) && now >= since);
    last = next;
    if (events.length > 0) write({ events });
  }
}
