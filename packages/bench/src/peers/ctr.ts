/**
 * containerd's ctr as a peer, on the user's containerd or the bench's own
 * (containerd.ts), in a namespace of the bench's own that is removed at the end
 * with everything in it.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { backoff, cgroupProcesses } from '@podstage/linux';
import { BENCH_CGROUP, benchBinDir, benchOutDir, type BenchContext, POD_BIN, POD_OUT, run } from '../context.js';
import type { Detection, Peer } from '../peers.js';
import { runCommand } from '../command.js';
import { failureText } from '../run.js';
import { containerdFor } from './containerd.js';
import { attempt, containerName, imageArchive, retry, STOP_TIMEOUT_S } from './shared.js';

const CTR_NAMESPACE = 'podstage-bench';

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
  const containerd = containerdFor(ctx);
  if ('reason' in containerd) return containerd;
  const ctr = ['ctr', '--address', containerd.address, '--namespace', CTR_NAMESPACE];
  const version = containerd.own ? `${containerd.version}, the bench's own daemon` : containerd.version;
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
