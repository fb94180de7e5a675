/**
 * The remote command protocol's channels, whatever carries them (SPDY streams
 * or websocket channel bytes): what an exec or attach reads and writes.
 */
import type { Readable, Writable } from 'node:stream';

/** What the client asked to stream (the CRI request's stdin/stdout/stderr/tty). */
export interface StreamOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

export interface Channels {
  stdin?: Readable | undefined;
  stdout?: Writable | undefined;
  stderr?: Writable | undefined;
  /** The final status (status.ts), then closed. */
  error: Writable;
  /** TerminalSize objects as JSON, one after the other (`{"Width":80,"Height":24}`). */
  resize?: Readable | undefined;
}

export type ChannelName = keyof Channels;

/** The channels a session of these options uses: error always, stderr never with a terminal (it shares stdout). */
export function expectedChannels(o: StreamOptions): ChannelName[] {
  const names: ChannelName[] = ['error'];
  if (o.stdin) names.push('stdin');
  if (o.stdout) names.push('stdout');
  if (o.stderr && !o.tty) names.push('stderr');
  if (o.tty) names.push('resize');
  return names;
}

export interface TerminalSize { columns: number; rows: number }

/** Calls `onSize` for every TerminalSize the resize channel carries. */
export function readResizes(resize: Readable, onSize: (size: TerminalSize) => void): void {
  let text = '';
  resize.setEncoding('utf8');
  resize.on('data', (chunk: string) => {
    text += chunk;
    for (let end = text.indexOf('}'); end >= 0; end = text.indexOf('}')) {
      const object = text.slice(0, end + 1);
      text = text.slice(end + 1);
      try {
        const size = JSON.parse(object) as { Width?: unknown; Height?: unknown };
        if (typeof size.Width === 'number' && typeof size.Height === 'number') onSize({ columns: size.Width, rows: size.Height });
      } catch { /* not a size: skipped, as the kubelet does */ }
    }
  });
  resize.on('error', () => undefined);
}

/** Write the final status and close the error channel. */
export function finish(ch: Channels, status: string): Promise<void> {
  return new Promise((resolve) => {
    ch.error.on('error', () => resolve());
    ch.error.end(status, () => resolve());
  });
}
