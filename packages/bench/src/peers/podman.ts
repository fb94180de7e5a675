/**
 * podman as a peer, on a store of the bench's own (--root, --runroot, --tmpdir and
 * --network-config-dir under the work directory), so the user's images, containers,
 * events and networks are never touched; with the workarounds this host needs,
 * found by trying `podman run` (never by editing /etc/containers).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_CGROUP, benchBinDir, benchOutDir, type BenchContext, POD_BIN, POD_OUT, run } from '../context.js';
import type { Detection, Peer } from '../peers.js';
import { runCommand } from '../command.js';
import { failureText } from '../run.js';
import { onPath } from '../targets.js';
import { attempt, containerName, imageArchive, sleepSync, STOP_TIMEOUT_S } from './shared.js';

/** A departure from podman's defaults that some hosts need: flags before `run` and flags of `run`. */
interface Workaround {
  global: string[];
  run: string[];
}

const WORKAROUNDS: readonly Workaround[] = [
  // crun, podman's default runtime, refuses a hybrid cgroup v1 + v2 layout.
  { global: ['--runtime', 'runc'], run: [] },
  // podman raises the container's nofile and nproc limits above the caller's, which takes CAP_SYS_RESOURCE.
  { global: [], run: ['--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024'] },
];

const setBits = (n: number): number => n.toString(2).replaceAll('0', '').length;
/** Each combination of workarounds as a bit set over WORKAROUNDS, fewest first: the plain podman run is tried first. */
const COMBINATIONS = [...Array(1 << WORKAROUNDS.length).keys()].sort((a, b) => setBits(a) - setBits(b));
const chosen = (combination: number) => WORKAROUNDS.filter((_, i) => combination & (1 << i));
const flagsOf = (w: Workaround) => [...w.global, ...w.run].join(' ');

/** Processes whose command line names `dir` (conmon, the `podman container cleanup` conmon starts when a container exits). */
function processesUsing(dir: string): number[] {
  return readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(dir);
    } catch {
      return false; // gone meanwhile
    }
  }).map(Number);
}

/** Remove the bench's store: its containers and images, then the mounts podman's storage keeps under it. */
function removeStore(podman: readonly string[], store: string): void {
  const [cmd, ...global] = podman as [string, ...string[]];
  spawnSync(cmd, [...global, 'rm', '--all', '--force', '--time', '0'], { stdio: 'ignore' });
  spawnSync(cmd, [...global, 'rmi', '--all', '--force'], { stdio: 'ignore' });
  for (const deadline = Date.now() + STOP_TIMEOUT_S * 1000; processesUsing(store).length > 0 && Date.now() < deadline;) sleepSync(20);
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '').filter((m) => m.startsWith(`${store}/`));
  for (const m of mounts.sort((a, b) => b.length - a.length)) spawnSync('umount', [m], { stdio: 'ignore' });
}

export function detectPodman(ctx: BenchContext): Detection {
  if (!onPath('podman')) return { reason: 'podman is not installed (scripts/setup.sh --peers)' };
  const store = join(ctx.workDir, 'podman');
  const podman = ['podman', '--root', join(store, 'root'), '--runroot', join(store, 'run'), '--tmpdir', join(store, 'tmp'), '--network-config-dir', join(store, 'networks')];
  const cleanUp = () => removeStore(podman, store);
  try {
    const version = run(['podman', '--version']).trim().replace(/^podman version /, '');
    run([...podman, 'load', '--quiet', '--input', imageArchive(ctx)]);
    const image = run([...podman, 'images', '--quiet', '--no-trunc']).trim().split('\n')[0] as string;
    // Under cgroupfs (no systemd) the containers and their conmons go below the bench's cgroup, which the bench removes.
    const cgroupfs = run([...podman, 'info', '--format', '{{.Host.CgroupManager}}']).trim() === 'cgroupfs';
    const runFlags = ['--network', 'none', '--pull', 'never', '-v', `${benchBinDir(ctx)}:${POD_BIN}:ro`, '-v', `${benchOutDir(ctx)}:${POD_OUT}`,
      ...(cgroupfs ? ['--cgroup-parent', `/${BENCH_CGROUP}/podman`] : [])];
    const failures = new Map<number, string>();
    for (const combination of COMBINATIONS) {
      const global = [...podman, ...chosen(combination).flatMap((w) => w.global)];
      const flags = [...runFlags, ...chosen(combination).flatMap((w) => w.run)];
      const failure = attempt([...global, 'run', '--rm', ...flags, image, '/bin/true']);
      if (failure !== undefined) {
        failures.set(combination, failure);
        continue;
      }
      const notes = WORKAROUNDS.flatMap((w, i) => combination & (1 << i)
        ? [`podman ${version} needs ${flagsOf(w)} here; without it: ${failures.get(combination & ~(1 << i))}`] : []);
      return { peer: podmanPeer(version, global, [...flags, image], notes, cleanUp) };
    }
    cleanUp();
    const all = COMBINATIONS.at(-1) as number;
    return { reason: `podman run fails here even with ${WORKAROUNDS.map(flagsOf).join(' ')}: ${failures.get(all)}` };
  } catch (err) {
    cleanUp();
    return { reason: `podman could not be set up here: ${failureText(err)}` };
  }
}

/** `global`: podman with the store's and the workarounds' flags; `runFlags`: those of `run` up to the image (the last). */
function podmanPeer(version: string, global: string[], runFlags: string[], notes: string[], cleanUp: () => void): Peer {
  return {
    id: 'podman', label: `podman ${version}`, notes,
    runArgv: (_i, args) => [...global, 'run', '--rm', ...runFlags, ...args],
    async start(_i, args) {
      const name = containerName('podman');
      await runCommand([...global, 'run', '--detach', '--name', name, ...runFlags, ...args]);
      return name;
    },
    async stop(name) {
      await runCommand([...global, 'stop', '--time', String(STOP_TIMEOUT_S), name]);
      await runCommand([...global, 'rm', name]);
    },
    monitorPids(name) {
      const conmon = Number(run([...global, 'inspect', '--format', '{{.State.ConmonPid}}', name]).trim());
      return conmon > 0 ? [conmon] : [];
    },
    cleanUp,
  };
}
