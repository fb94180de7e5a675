/**
 * enter for kvm: the command runs in the running app inside the guest, asked
 * for over the pod's control socket (the pod process relays it to the guest
 * agent); its output is followed from the output share to our stdout and
 * stderr, and its exit status is ours. No terminal or stdin reaches the guest yet.
 */
import { randomBytes } from 'node:crypto';
import { finished } from 'node:stream/promises';
import { PodstageError, type EnterOptions } from '@podstage/contract';
import { control } from '@podstage/stage1-common';
import { execOutputFile, followFile, removeGuestFile } from '../guest-output.js';

export async function enter(o: EnterOptions): Promise<number> {
  if (o.command.length === 0) {
    throw new PodstageError('ERR_PODSTAGE_UNSUPPORTED', 'stage1 kvm: enter needs a command: there is no terminal into the guest yet', { hint: 'podstage enter --app=<app> <uuid> <command> [args...]' });
  }
  const id = randomBytes(8).toString('hex');
  const followers = (['stdout', 'stderr'] as const).map((s) => {
    const f = followFile(execOutputFile(o.podDir, id, s));
    f.stream.pipe(s === 'stdout' ? process.stdout : process.stderr, { end: false });
    return f;
  });
  try {
    const reply = await control(o.podDir, { op: 'exec', app: o.app, id, argv: o.command }, 0);
    for (const f of followers) f.finish();
    await Promise.all(followers.map((f) => finished(f.stream)));
    return reply.exitCode ?? 255;
  } finally {
    for (const f of followers) f.finish();
    for (const s of ['stdout', 'stderr'] as const) removeGuestFile(execOutputFile(o.podDir, id, s));
  }
}
