/**
 * A streaming attach: the container's output from now on and, for a container
 * created with stdin, its input, through its monitor's attach socket (conmon
 * holds the app's stdio; no process of the server's sits between the app and
 * it), until the container exits or the client goes away. A terminal's size
 * follows the client's.
 */
import { formatError } from '@podstage/contract';
import { attachToApp } from '@podstage/runtime';
import type { CriContext } from '../context.js';
import { requireContainer } from '../state.js';
import { finish, readResizes, type Channels, type StreamOptions } from './channels.js';
import { endChannel } from './exec.js';
import { failure, success } from './status.js';

export interface AttachRequest extends StreamOptions { containerId: string }

export async function serveAttach(ctx: CriContext, req: AttachRequest, ch: Channels, closed: Promise<void>): Promise<void> {
  try {
    const c = requireContainer(ctx.dataDir, req.containerId);
    if (c.state !== 'CONTAINER_RUNNING') throw new Error(`container ${c.id} is not running`);
    const a = await attachToApp(ctx.dataDir, c.sandbox.ref.uuid, c.app.name);
    // A terminal has one stream: whatever the client asked, its output goes to stdout.
    a.onOutput((stream, data) => (stream === 'stderr' && !a.stdio.tty ? ch.stderr : ch.stdout)?.write(data));
    if (ch.resize !== undefined) readResizes(ch.resize, (size) => a.resize(size.columns, size.rows));
    if (ch.stdin !== undefined && a.stdio.stdin !== undefined) {
      ch.stdin.on('data', (data: Buffer) => a.write(data));
      ch.stdin.on('end', () => a.endInput());
      ch.stdin.on('error', () => undefined);
    }
    await Promise.race([a.ended, closed]);
    a.close();
    await Promise.all([endChannel(ch.stdout), endChannel(ch.stderr)]);
    await finish(ch, success());
  } catch (e) {
    await finish(ch, failure(formatError(e)));
  }
}
