/**
 * conmon, the monitor CRI-O and podman put beside every container: it runs
 * `<runtime> create`, holds the container's stdio, writes its CRI log and its
 * exit status, and runs an exit command when it ends. It is a 2 MB C process:
 * with it no Node process stays resident for a pod (stage1 runc and host).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PodstageError } from '@podstage/contract';

export const CONMON = '/usr/bin/conmon';

export interface MonitorSpec {
  /** The container's ID, also conmon's name for it and the exit file's name. */
  id: string;
  bundle: string;
  /** The runtime's command line ([path, ...args]); conmon appends `create …`. */
  runtime: readonly string[];
  exitDir: string;
  socketDir: string;
  /** `k8s-file:PATH` (CRI log format), or `passthrough:` (the container gets conmon's own stdio). */
  logPath: string;
  /** Run when the container has exited, after conmon wrote its exit file. */
  exitCommand?: readonly string[];
  /** A stdin for the container, fed through the attach socket: kept open across attaches (stream) or closed when the first client is done (once). */
  stdin?: 'stream' | 'once';
  /** A terminal for the container: the runtime sends its master to conmon's console socket. */
  terminal?: boolean;
}

export const containerPidFile = (bundle: string) => join(bundle, 'container.pid');
export const monitorPidFile = (bundle: string) => join(bundle, 'conmon.pid');

/** conmon's command line (pure). */
export function conmonArgs(m: MonitorSpec): string[] {
  const [runtime, ...runtimeArgs] = m.runtime;
  const args = [
    '--cid', m.id, '--cuuid', m.id, '--name', m.id,
    '--runtime', runtime as string, ...runtimeArgs.flatMap((a) => ['--runtime-arg', a]),
    '--bundle', m.bundle,
    '--exit-dir', m.exitDir,
    '--socket-dir-path', m.socketDir,
    '--log-path', m.logPath,
    '--container-pidfile', containerPidFile(m.bundle),
    '--conmon-pidfile', monitorPidFile(m.bundle),
  ];
  if (m.stdin !== undefined) args.push('--stdin', ...(m.stdin === 'stream' ? ['--leave-stdin-open'] : []));
  if (m.terminal === true) args.push('--terminal');
  if (m.exitCommand !== undefined) {
    const [command, ...commandArgs] = m.exitCommand;
    args.push('--exit-command', command as string, ...commandArgs.flatMap((a) => ['--exit-command-arg', a]));
  }
  return args;
}

export interface MonitoredContainer {
  /** The container's first process, on the host. */
  pid: number;
  /** conmon's own pid. */
  monitorPid: number;
}

/** conmon's answer on its sync pipe once `create` ran: `{"pid": N}`, or a negative pid and a message. */
function parseSync(text: string, id: string): number {
  let reply: { pid?: number; data?: number; message?: string };
  try {
    reply = JSON.parse(text.split('\n')[0] as string) as typeof reply;
  } catch {
    throw new PodstageError('ERR_PODSTAGE_STAGE1', `conmon for ${id} ended without creating the container${text ? `: ${text.trim()}` : ''}`);
  }
  const pid = reply.pid ?? reply.data ?? -1;
  if (pid <= 0) throw new PodstageError('ERR_PODSTAGE_STAGE1', `create ${id}: ${reply.message ?? 'failed'}`);
  return pid;
}

/**
 * Start conmon (it daemonizes) and wait until it reports the container created.
 * `prefix` runs before it (the pod's cgroup join), `lockFd` becomes its
 * MONITOR_LOCK_FD, `stdio` is its own and, with passthrough, the container's.
 */
export function createMonitored(
  m: MonitorSpec, opts: { prefix: readonly string[]; lockFd?: { fd: number; at: number }; stdio: 'ignore' | 'inherit' },
): Promise<MonitoredContainer> {
  if (!existsSync(CONMON)) throw new PodstageError('ERR_PODSTAGE_HOST', 'podstage needs conmon (the monitor of runc and host pods), which is not installed', { hint: 'apt-get install conmon (scripts/setup.sh does)' });
  const [cmd, ...prefixArgs] = [...opts.prefix, CONMON];
  const stdio: (number | 'ignore' | 'inherit' | 'pipe')[] = [opts.stdio, opts.stdio, opts.stdio, 'pipe'];
  if (opts.lockFd !== undefined) {
    while (stdio.length < opts.lockFd.at) stdio.push('ignore');
    stdio.push(opts.lockFd.fd);
  }
  // In the bundle: conmon writes files to its working directory (an `oom` file when the container is OOM-killed).
  const child = spawn(cmd as string, [...prefixArgs, ...conmonArgs(m)], {
    cwd: m.bundle, stdio, env: { _OCI_SYNCPIPE: '3', PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
  });
  const sync = child.stdio[3]!;
  // Resolved once conmon answered and its first process, which only daemonizes, has exited:
  // nothing of this start is left as this process's child.
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    let text = '';
    const done = () => {
      sync.destroy();
      try {
        const pid = parseSync(text, m.id);
        void exited.then(() => resolve({ pid, monitorPid: Number.parseInt(readFileSync(monitorPidFile(m.bundle), 'utf8'), 10) }), reject);
      } catch (err) {
        reject(err);
      }
    };
    sync.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('\n')) done();
    });
    sync.on('close', () => {
      if (!text.includes('\n')) done();
    });
    child.on('error', reject);
  });
}
