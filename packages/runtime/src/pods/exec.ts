/**
 * A command in a running app as a child process, for a long-lived front end
 * (the CRI's ExecSync and streaming Exec): the pod's stage1 `enter`
 * entrypoint, spawned the way a stage1 found by path is entered.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { ReadStream } from 'node:tty';
import type { Duplex, Readable, Writable } from 'node:stream';
import { formatEnterArgs, PodstageError } from '@podstage/contract';
import { entrypointPath, readPodStage1, stage1Env } from '../stage1/invoke.js';
import type { Stage1Registry } from '../stage1/registry.js';
import { enterTarget } from './stop.js';

export interface ExecResult {
  exitCode: number;
  stdout: Buffer;
  stderr: Buffer;
  /** Killed when `timeoutMs` passed. */
  timedOut: boolean;
}

/** The first ABI whose `enter` takes the caller's stdin and `--tty`. */
const ENTER_STDIN_ABI = 4;

interface EnterCommand { file: string; args: string[]; cwd: string }

function enterCommand(dataDir: string, stage1s: Stage1Registry, id: string, o: { app?: string | undefined; command: string[]; tty?: boolean; stdin?: boolean }): EnterCommand {
  const { ref, app } = enterTarget(dataDir, id, o.app);
  const choice = readPodStage1(ref.path);
  const file = entrypointPath(choice, 'enter', stage1s);
  if (file === undefined) throw new PodstageError('ERR_PODSTAGE_UNSUPPORTED', `stage1 ${choice.manifest.name} does not support enter`);
  if ((o.tty === true || o.stdin === true) && choice.manifest.abiVersion < ENTER_STDIN_ABI) {
    throw new PodstageError('ERR_PODSTAGE_UNSUPPORTED', `stage1 ${choice.manifest.name} (ABI ${choice.manifest.abiVersion}) cannot give a command ${o.tty === true ? 'a terminal' : 'stdin'} (ABI ${ENTER_STDIN_ABI})`, {
      hint: 'run the command without a terminal and stdin',
    });
  }
  return { file, args: formatEnterArgs({ uuid: ref.uuid, podDir: ref.path, app, command: o.command, ...(o.tty === true ? { tty: true } : {}) }), cwd: ref.path };
}

/** Run `command` to its end, or kill it (the command, not only its enter) after `timeoutMs`. */
export async function execInPod(
  dataDir: string, stage1s: Stage1Registry, id: string, o: { app?: string | undefined; command: string[]; timeoutMs?: number },
): Promise<ExecResult> {
  const p = await spawnInPod(dataDir, stage1s, id, { app: o.app, command: o.command });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  p.stdout.on('data', (b: Buffer) => stdout.push(b));
  p.stderr?.on('data', (b: Buffer) => stderr.push(b));
  let timedOut = false;
  const timer = o.timeoutMs === undefined || o.timeoutMs <= 0 ? undefined : setTimeout(() => {
    timedOut = true;
    p.kill();
    // A process that left the group may still hold the pipes: they end here all the same.
    p.stdout.destroy();
    p.stderr?.destroy();
  }, o.timeoutMs);
  const code = await p.exited;
  clearTimeout(timer);
  return { exitCode: timedOut ? 137 : code, stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr), timedOut };
}

/** A command running in an app, its stdio streams in the caller's hands. */
export interface PodProcess {
  /** Its input; undefined without stdin. */
  stdin: Writable | undefined;
  /** Its output; with a terminal, everything it writes (stderr included). */
  stdout: Readable;
  /** Undefined with a terminal: the terminal carries both. */
  stderr: Readable | undefined;
  /** The terminal's new size; nothing without a terminal. */
  resize(columns: number, rows: number): void;
  /** Its exit status (128 + signal when killed) once it exited and its output is read. */
  exited: Promise<number>;
  kill(): void;
}

export interface SpawnInPodOptions {
  app?: string | undefined;
  command: string[];
  /** A terminal as its stdin, stdout and stderr. */
  tty?: boolean;
  /** Keep its stdin open for the caller (else /dev/null, or a terminal it never types on). */
  stdin?: boolean;
  /** The terminal's size at start. */
  size?: { columns: number; rows: number };
}

/**
 * Start `command` in a running app, with pipes or a terminal (a pty the caller
 * reads and writes through `stdout`/`stdin`), for a front end that streams it.
 */
export async function spawnInPod(dataDir: string, stage1s: Stage1Registry, id: string, o: SpawnInPodOptions): Promise<PodProcess> {
  const c = enterCommand(dataDir, stage1s, id, o);
  // A process group of its own, which a kill ends as a whole (endGroup).
  const options = { cwd: c.cwd, env: stage1Env(), detached: true };
  if (o.tty !== true) {
    const child = spawn(c.file, c.args, { ...options, stdio: [o.stdin === true ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    return {
      stdin: child.stdin ?? undefined, stdout: child.stdout as Readable, stderr: child.stderr as Readable,
      resize: () => undefined, exited: exitStatus(child, [child.stdout as Readable, child.stderr as Readable]), kill: () => endGroup(child),
    };
  }
  const { openPty, setWindowSize } = await import('@podstage/linux');
  const pty = openPty();
  let child: ChildProcess;
  try {
    if (o.size !== undefined) setWindowSize(pty.master, o.size.columns, o.size.rows);
    child = spawn(c.file, c.args, { ...options, stdio: [pty.slave, pty.slave, pty.slave] });
  } catch (e) {
    closeSync(pty.master);
    throw e;
  } finally {
    closeSync(pty.slave);
  }
  const terminal = masterStream(pty.master);
  return {
    stdin: o.stdin === true ? terminal : undefined, stdout: terminal, stderr: undefined,
    resize: (columns, rows) => {
      setWindowSize(pty.master, columns, rows);
      // A stage1 that copies to a terminal of its own (runc) follows ours on SIGWINCH.
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGWINCH');
    },
    exited: exitStatus(child, [terminal]),
    // Closing the terminal hangs up whatever still holds it (a process the enter left in the pod).
    kill: () => {
      endGroup(child);
      terminal.destroy();
    },
  };
}

const KILL_GRACE_MS = 500;

/**
 * SIGTERM to the enter's process group, SIGKILL a moment later: the command ends with the enter
 * that waits for it (runc exec and nsenter keep the group but pass on no SIGKILL; kvm's enter
 * asks the guest to kill the command on SIGTERM).
 */
function endGroup(child: ChildProcess): void {
  const signal = (name: NodeJS.Signals) => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, name);
    } catch { /* already gone */ }
  };
  signal('SIGTERM');
  setTimeout(() => signal('SIGKILL'), KILL_GRACE_MS).unref();
}

/**
 * The pty's controlling side as a stream. Once the last holder of the terminal
 * closed it, reads fail with EIO: that is its end.
 */
function masterStream(fd: number): Duplex {
  const stream = new ReadStream(fd);
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EIO') stream.push(null);
    else stream.destroy(e);
  });
  stream.once('end', () => stream.destroy());
  return stream;
}

function exitStatus(child: ChildProcess, outputs: Readable[]): Promise<number> {
  const drained = outputs.map((s) => new Promise<void>((resolve) => {
    if (s.readableEnded || s.destroyed) resolve();
    s.once('end', resolve).once('close', resolve).once('error', () => resolve());
  }));
  const exit = new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? 128 + (signal === null ? 0 : signalNumber(signal))));
  });
  return Promise.all([exit, ...drained]).then(([code]) => code);
}

const signalNumber = (name: NodeJS.Signals): number => osConstants.signals[name] ?? 0;
