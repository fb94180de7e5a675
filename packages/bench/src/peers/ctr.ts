/**
 * containerd's ctr as a peer: only when the user's containerd is running (the
 * bench never starts a daemon), in a namespace of the bench's own that is
 * removed at the end with everything in it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { backoff, cgroupProcesses } from '@podstage/linux';
import { BENCH_CGROUP, benchBinDir, benchOutDir, type BenchContext, POD_BIN, POD_OUT, run } from '../context.js';
import type { Detection, Peer } from '../peers.js';
import { runCommand } from '../command.js';
import { failureText } from '../run.js';
import { onPath } from '../targets.js';
import { attempt, containerName, imageArchive, retry, STOP_TIMEOUT_S } from './shared.js';

const CTR_NAMESPACE = 'podstage-bench';
const DEFAULT_ADDRESS = '/run/containerd/containerd.sock';

/** Each container's cgroup, chosen by the bench so that it can watch the container's processes and remove what is left. */
const cgroupOf = (name: string) => `${BENCH_CGROUP}/${name}`;

/** Resolves true once no process is left in the container's cgroup, false after `timeoutMs`. */
async function exited(name: string, timeoutMs: number): Promise<boolean> {
  const pause = backoff();
  for (const deadline = Date.now() + timeoutMs; cgroupProcesses(cgroupOf(name)).length > 0;) {
    if (Date.now() > deadline) return false;
    await pause();
  }
  return true;
}

const parentPid = (pid: number): number | undefined => {
  try {
    return Number(/^PPid:\s+(\d+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  } catch {
    return undefined; // gone meanwhile
  }
};

/** Lines of a ctr listing (`ls --quiet`); none when it fails. */
const listing = (argv: string[]): string[] => spawnSync(argv[0] as string, argv.slice(1), { encoding: 'utf8' }).stdout?.split('\n').filter(Boolean) ?? [];

/** Remove every task, container and image of the namespace, then the namespace. */
function removeNamespace(ctr: readonly string[]): void {
  const [cmd, ...global] = ctr as [string, ...string[]];
  const quiet = (...args: string[]) => spawnSync(cmd, [...global, ...args], { stdio: 'ignore' });
  for (const task of listing([...ctr, 'tasks', 'list', '--quiet'])) quiet('tasks', 'delete', '--force', task);
  for (const container of listing([...ctr, 'containers', 'list', '--quiet'])) quiet('containers', 'delete', container);
  for (const image of listing([...ctr, 'images', 'list', '--quiet'])) quiet('images', 'delete', '--sync', image);
  quiet('namespaces', 'remove', CTR_NAMESPACE);
}

export function detectCtr(ctx: BenchContext): Detection {
  if (!onPath('ctr')) return { reason: 'ctr is not installed (scripts/setup.sh --peers)' };
  const address = process.env.CONTAINERD_ADDRESS || DEFAULT_ADDRESS;
  if (!existsSync(address)) return { reason: `containerd is not running (no ${address}); the bench does not start it` };
  const ctr = ['ctr', '--address', address, '--namespace', CTR_NAMESPACE];
  let version: string;
  try {
    version = /Server:\s+Version:\s+(\S+)/.exec(run([...ctr, '--connect-timeout', '5s', 'version']))?.[1] ?? 'unknown';
  } catch (err) {
    return { reason: `containerd does not answer on ${address}: ${failureText(err)}` };
  }
  const cleanUp = () => removeNamespace(ctr);
  try {
    const imported = run([...ctr, 'images', 'import', imageArchive(ctx)]);
    const image = /^unpacking (\S+) \(/m.exec(imported)?.[1];
    if (image === undefined) throw new Error(`ctr images import named no image: ${imported.trim()}`);
    const mounts = ['--mount', `type=bind,src=${benchBinDir(ctx)},dst=${POD_BIN},options=rbind:ro`, '--mount', `type=bind,src=${benchOutDir(ctx)},dst=${POD_OUT},options=rbind:rw`];
    // ctr run [flags] IMAGE ID COMMAND…: a container has no network but its own loopback unless --net-host.
    const runArgs = (flags: string[], args: string[], name = containerName('ctr')) => [...ctr, 'run', ...flags, '--cgroup', `/${cgroupOf(name)}`, ...mounts, image, name, ...args];
    const failure = attempt(runArgs(['--rm'], ['/bin/true']));
    if (failure !== undefined) {
      cleanUp();
      return { reason: `ctr run fails here: ${failure}` };
    }
    return { peer: ctrPeer(version, ctr, runArgs, cleanUp) };
  } catch (err) {
    cleanUp();
    return { reason: `ctr could not be set up here: ${failureText(err)}` };
  }
}

function ctrPeer(version: string, ctr: string[], runArgs: (flags: string[], args: string[], name?: string) => string[], cleanUp: () => void): Peer {
  return {
    id: 'ctr', label: `ctr (containerd ${version})`, notes: [],
    runArgv: (_i, args) => runArgs(['--rm'], args),
    async start(_i, args) {
      const name = containerName('ctr');
      await runCommand(runArgs(['--detach'], args, name));
      return name;
    },
    async stop(name) {
      await runCommand([...ctr, 'tasks', 'kill', '--signal', 'SIGTERM', name]);
      if (!(await exited(name, STOP_TIMEOUT_S * 1000))) {
        await runCommand([...ctr, 'tasks', 'kill', '--signal', 'SIGKILL', name]);
        await exited(name, STOP_TIMEOUT_S * 1000);
      }
      // The shim may not have recorded the exit yet when the cgroup is already empty.
      await retry(() => runCommand([...ctr, 'tasks', 'delete', name]));
      await runCommand([...ctr, 'containers', 'delete', name]);
    },
    monitorPids(name) {
      const inside = cgroupProcesses(cgroupOf(name));
      // The shim is the parent of the container's first process, outside its cgroup.
      return [...new Set(inside.map(parentPid).filter((p): p is number => p !== undefined && p > 0 && !inside.includes(p)))];
    },
    cleanUp,
  };
}
