/**
 * A streaming attach: the container's output from now on, read from its log
 * (conmon writes it; no process of the server's sits between the app and its
 * output), until the container exits or the client goes away. Containers get
 * no stdin or terminal (CreateContainer refuses them), so there is nothing to
 * write to.
 */
import { CriLogReader, pod } from '@podstage/contract';
import type { CriContext } from '../context.js';
import { requireContainer } from '../state.js';
import { finish, type Channels, type StreamOptions } from './channels.js';
import { endChannel, errorMessage } from './exec.js';
import { failure, success } from './status.js';

export interface AttachRequest extends StreamOptions { containerId: string }

const POLL_MS = 100;

export async function serveAttach(ctx: CriContext, req: AttachRequest, ch: Channels, closed: Promise<void>): Promise<void> {
  try {
    const c = requireContainer(ctx.dataDir, req.containerId);
    if (req.stdin || req.tty) throw new Error(`container ${c.id} was created without stdin and tty: there is ${req.tty ? 'no terminal' : 'no stdin'} to attach to`);
    if (c.state !== 'CONTAINER_RUNNING') throw new Error(`container ${c.id} is not running`);
    const log = new CriLogReader(pod.appLog(c.sandbox.ref.path, c.app.name), { fromEnd: true });
    let gone = false;
    void closed.then(() => { gone = true; });
    const copy = (): void => {
      for (const r of log.read()) {
        const to = r.stream === 'stdout' ? ch.stdout : ch.stderr;
        to?.write(r.partial ? r.text : `${r.text}\n`);
      }
    };
    while (!gone && requireContainer(ctx.dataDir, req.containerId).state === 'CONTAINER_RUNNING') {
      copy();
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    copy();
    await Promise.all([endChannel(ch.stdout), endChannel(ch.stderr)]);
    await finish(ch, success());
  } catch (e) {
    await finish(ch, failure(errorMessage(e)));
  }
}
