/**
 * Attach to a running app (the CRI's Attach, rkt's `attach`): a connection to
 * its monitor's attach socket (ABI 6; conmon's). The monitor holds the app's
 * stdin and terminal, so nothing of this process stays between the app and its
 * stdio once the caller detaches.
 *
 * conmon's protocol, SOCK_SEQPACKET: each packet it sends is one byte for the
 * stream (2 stdout, 3 stderr) and the bytes; each packet sent to it goes to
 * the app's stdin; a shutdown of the caller's side ends the app's stdin if it
 * is a stdin-once app. A terminal is resized through the control FIFO.
 */
import { closeSync, constants, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname } from 'node:path';
import { appStdio, pod, PodstageError, readAppExitStatus, readPodManifest, type AppStdio, type RuntimeApp } from '@podstage/contract';
import { backoff, connectUnixSocket } from '@podstage/linux';
import { writeMonitorControl } from './monitor-control.js';
import { enterTarget } from './stop.js';

type SeqpacketSocket = import('node-unix-socket').SeqpacketSocket;

export type OutputStream = 'stdout' | 'stderr';
const STREAM_OF_TAG: Record<number, OutputStream> = { 2: 'stdout', 3: 'stderr' };
/** conmon's STDIO_BUF_SIZE and the stream byte. */
const PACKET_SIZE = 8192 + 1;
/** conmon's exit command records the status right after the app ends. */
const EXIT_RECORDED_MS = 5000;

export interface AppAttachment {
  /** What the app's monitor holds: the app's stdin (stream or once) and terminal. */
  stdio: AppStdio;
  /** The app's output from now on, packet by packet (a terminal's is all stdout). */
  onOutput(listener: (stream: OutputStream, data: Buffer) => void): void;
  /** Resolves once the monitor closed the connection: the app has ended. */
  ended: Promise<void>;
  /** Bytes for the app's stdin. */
  write(data: Buffer): void;
  /** The caller's input ended: a stdin-once app's stdin gets end of file. */
  endInput(): void;
  /** The app's terminal is now `columns` x `rows`. */
  resize(columns: number, rows: number): void;
  /** Detach. */
  close(): void;
  /** Once ended: the app's exit status, as soon as its monitor recorded it (undefined if it did not within a few seconds). */
  exitCode(): Promise<number | undefined>;
}

/** Connect to the app's monitor (`app`: the pod's only one when not given); refused for a pod whose stage1 has no attach socket (ABI < 6). */
export async function attachToApp(dataDir: string, id: string, name?: string): Promise<AppAttachment> {
  const { ref, app } = enterTarget(dataDir, id, name);
  const runtimeApp = readPodManifest(ref.path).apps.find((a) => a.name === app) as RuntimeApp;
  const stdio = appStdio(runtimeApp.annotations, app);
  const socket = connect(ref.uuid, app, pod.appAttachSocket(ref.path, app));
  const ended = new Promise<void>((resolve) => {
    socket.once('end', resolve);
    socket.once('error', () => resolve());
  });
  let detached = false;
  return {
    stdio,
    onOutput(listener) {
      socket.on('data', (packet: Buffer) => {
        const stream = STREAM_OF_TAG[packet[0] ?? 0];
        if (stream !== undefined && packet.length > 1) listener(stream, packet.subarray(1));
      });
    },
    ended,
    write(data) {
      if (detached || stdio.stdin === undefined) return;
      for (let at = 0; at < data.length; at += PACKET_SIZE - 1) socket.write(data.subarray(at, at + PACKET_SIZE - 1));
    },
    endInput() {
      if (!detached) socket.end();
    },
    resize(columns, rows) {
      if (stdio.tty && !detached) writeMonitorControl(ref, app, `1 ${rows} ${columns}\n`);
    },
    close() {
      if (detached) return;
      detached = true;
      socket.destroy();
    },
    async exitCode() {
      const pause = backoff();
      for (const deadline = Date.now() + EXIT_RECORDED_MS; Date.now() < deadline; await pause()) {
        const status = readAppExitStatus(ref.path, app);
        if (status !== undefined) return status;
      }
      return undefined;
    },
  };
}

/**
 * A socket's path is at most 107 bytes and a pod's bundle may be deeper: the
 * connection goes through /proc/self/fd of the bundle directory, as conmon
 * binds it. The socket is made here, close-on-exec, so no process this one
 * starts later (a conmon, an app) inherits another app's stdin.
 */
function connect(uuid: string, app: string, path: string): SeqpacketSocket {
  const require = createRequire(import.meta.url);
  const { SeqpacketSocket } = require('node-unix-socket') as typeof import('node-unix-socket');
  let dir: number;
  try {
    dir = openSync(dirname(path), constants.O_RDONLY | constants.O_DIRECTORY);
  } catch {
    throw new PodstageError('ERR_PODSTAGE_POD_STATE', `app ${app} of pod ${uuid} is not running`);
  }
  let fd: number;
  try {
    fd = connectUnixSocket(`/proc/self/fd/${dir}/${basename(path)}`, 'seqpacket');
  } catch (err) {
    throw /ENOENT|ECONNREFUSED/.test((err as Error).message)
      ? new PodstageError('ERR_PODSTAGE_UNSUPPORTED', `app ${app} of pod ${uuid} has no attach socket (its stage1 is older than ABI 6, or the app has ended)`)
      : err;
  } finally {
    closeSync(dir);
  }
  const socket = new SeqpacketSocket(fd);
  socket.setInternalReadBufferSize(PACKET_SIZE);
  return socket;
}
