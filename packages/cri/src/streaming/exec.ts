/**
 * A streaming exec: the command runs through the pod's stage1 `enter` (the
 * app's own isolation), with a terminal or pipes, copied to and from the
 * client's channels; the exit code goes back on the error channel.
 */
import { formatError } from '@podstage/contract';
import { spawnInPod } from '@podstage/runtime';
import type { CriContext } from '../context.js';
import { requireContainer } from '../state.js';
import { finish, readResizes, type Channels, type StreamOptions, type TerminalSize } from './channels.js';
import { exitStatus, failure } from './status.js';

const FIRST_SIZE_WAIT_MS = 1000;

export interface ExecRequest extends StreamOptions { containerId: string; cmd: string[] }

/** Run the exec; `closed` resolves when the client went away (the command is killed). */
export async function serveExec(ctx: CriContext, req: ExecRequest, ch: Channels, closed: Promise<void>): Promise<void> {
  let firstSize: TerminalSize | undefined;
  let sized = (): void => undefined;
  let resize = (size: TerminalSize): void => { firstSize = size; sized(); };
  if (ch.resize !== undefined) readResizes(ch.resize, (size) => resize(size));
  try {
    const c = requireContainer(ctx.dataDir, req.containerId);
    if (c.state !== 'CONTAINER_RUNNING') throw new Error(`container ${c.id} is not running`);
    // Clients send the terminal's size as soon as the channels are open: the command starts with it rather than 0x0.
    if (req.tty && firstSize === undefined) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, FIRST_SIZE_WAIT_MS);
        sized = () => { clearTimeout(timer); resolve(); };
      });
    }
    const p = await spawnInPod(ctx.dataDir, ctx.stage1s, c.sandbox.ref.uuid, {
      app: c.app.name, command: req.cmd, tty: req.tty, stdin: req.stdin, ...(firstSize === undefined ? {} : { size: firstSize }),
    });
    resize = (size) => p.resize(size.columns, size.rows);
    void closed.then(() => p.kill());
    if (ch.stdin !== undefined && p.stdin !== undefined) {
      // A terminal stays open when the client's stdin ends: it is the command's output too.
      ch.stdin.pipe(p.stdin, { end: !req.tty });
      p.stdin.on('error', () => undefined);
    }
    copyOutput(p.stdout, ch.stdout);
    if (p.stderr !== undefined) copyOutput(p.stderr, ch.stderr);
    const code = await p.exited;
    await Promise.all([endChannel(ch.stdout), endChannel(ch.stderr)]);
    await finish(ch, exitStatus(code));
  } catch (e) {
    await finish(ch, failure(formatError(e)));
  }
}

/** Output the client did not ask for is read and dropped, so the command never blocks on it. */
export function copyOutput(from: NodeJS.ReadableStream, to: NodeJS.WritableStream | undefined): void {
  if (to === undefined) from.resume();
  else from.pipe(to, { end: false });
}

export function endChannel(ch: NodeJS.WritableStream | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (ch === undefined) return resolve();
    ch.on('error', () => resolve());
    ch.end(() => resolve());
  });
}
