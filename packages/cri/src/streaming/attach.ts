/**
 * A streaming attach: the container's output from now on, read from its log
 * (conmon writes it; no process of the server's sits between the app and its
 * output), until the container exits or the client goes away. Containers get
 * no stdin or terminal (CreateContainer refuses them), so there is nothing to
 * write to.
 */
import { existsSync } from 'node:fs';
import { CriLogReader, formatError, pod } from '@podstage/contract';
import type { CriContext } from '../context.js';
import { requireContainer } from '../state.js';
import { finish, type Channels, type StreamOptions } from './channels.js';
import { endChannel } from './exec.js';
import { failure, success } from './status.js';

export interface AttachRequest extends StreamOptions { containerId: string }

const POLL_MS = 100;

export async function serveAttach(ctx: CriContext, req: AttachRequest, ch: Channels, closed: Promise<void>): Promise<void> {
  try {
    const c = requireContainer(ctx.dataDir, req.containerId);
    if (req.stdin || req.tty) throw new Error(`container ${c.id} was created without stdin and tty: there is ${req.tty ? 'no terminal' : 'no stdin'} to attach to`);
    if (c.state !== 'CONTAINER_RUNNING') throw new Error(`container ${c.id} is not running`);
    const podDir = c.sandbox.ref.path;
    const log = new CriLogReader(pod.appLog(podDir, c.app.name), { fromEnd: true });
    // Running until its exit status is written or its pod is gone: two stats a poll, not a look at every pod.
    const running = () => existsSync(podDir) && !existsSync(pod.appExitStatus(podDir, c.app.name));
    let gone = false;
    void closed.then(() => { gone = true; });
    const copy = (): void => {
      for (const r of log.read()) {
        const to = r.stream === 'stdout' ? ch.stdout : ch.stderr;
        to?.write(r.partial ? r.text : `${r.text}\n`);
      }
    };
    while (!gone && running()) {
      copy();
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    copy();
    await Promise.all([endChannel(ch.stdout), endChannel(ch.stderr)]);
    await finish(ch, success());
  } catch (e) {
    await finish(ch, failure(formatError(e)));
  }
}
