/**
 * The containerd the bench measures (ctr, and its CRI plugin): the user's own
 * when one answers (CONTAINERD_ADDRESS, else containerd's default socket),
 * else a private daemon the bench starts for the run, as it starts its own
 * `podstage cri`: its root, state and socket under the bench's scratch
 * directory, stopped and removed at the end, leaving the user's containerd
 * (running or not) as it was: what it made in /run/containerd (shim sockets,
 * runc state) is removed when that directory was not there before.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmdirSync, writeFileSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { MNT_DETACH, mountPoints, umount } from '@podstage/linux';
import { run, type BenchContext } from '../context.js';
import { onPath } from '../targets.js';
import { imageArchive, sleepSync } from './shared.js';

const DEFAULT_ADDRESS = '/run/containerd/containerd.sock';
/** Where containerd's shims and ctr keep sockets and fifos whatever the daemon's state directory is. */
const FIXED_RUN_DIR = '/run/containerd';
/** The private daemon's sandbox ("pause") image, made from the bench's image: its CRI plugin never pulls one. */
export const BENCH_SANDBOX_IMAGE = 'podstage.io/bench-pause:latest';
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

export interface Containerd {
  address: string;
  /** The server's version (`ctr version`). */
  version: string;
  /** True when the bench started it: its CRI plugin's sandbox image is BENCH_SANDBOX_IMAGE. */
  own: boolean;
}

type Found = Containerd | { reason: string };

/** `ctr version`'s server version, or undefined when nothing answers on `address`. */
function serverVersion(address: string): string | undefined {
  const r = spawnSync('ctr', ['--address', address, '--connect-timeout', '2s', 'version'], { encoding: 'utf8' });
  return r.status === 0 ? (/Server:\s+Version:\s+(\S+)/.exec(r.stdout)?.[1] ?? 'unknown') : undefined;
}

/**
 * The daemon's configuration (version 2): its own root, state and sockets; the CRI
 * plugin with the bench's sandbox image, no CNI network (the bench's CRI pods use the
 * host's), and restrict_oom_score_adj (without CAP_SYS_RESOURCE its pause container's
 * oom_score_adj write fails otherwise).
 */
export function containerdConfig(dir: string): string {
  const q = (s: string) => JSON.stringify(s);
  return [
    'version = 2',
    `root = ${q(join(dir, 'root'))}`,
    `state = ${q(join(dir, 'state'))}`,
    'disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.opt"]',
    '[grpc]',
    `  address = ${q(join(dir, 'containerd.sock'))}`,
    '[plugins."io.containerd.grpc.v1.cri"]',
    `  sandbox_image = ${q(BENCH_SANDBOX_IMAGE)}`,
    '  restrict_oom_score_adj = true',
    '  [plugins."io.containerd.grpc.v1.cri".cni]',
    `    bin_dir = ${q(join(dir, 'cni', 'bin'))}`,
    `    conf_dir = ${q(join(dir, 'cni', 'net.d'))}`,
    '',
  ].join('\n');
}

/** The bench's image with `sleep infinity` as its command, imported as BENCH_SANDBOX_IMAGE (skopeo and umoci, which scripts/setup.sh installs). */
function importSandboxImage(ctx: BenchContext, dir: string, address: string): void {
  const layout = join(dir, 'pause-layout');
  const archive = join(dir, 'pause.oci.tar');
  const steps = [
    ['skopeo', 'copy', '-q', `oci-archive:${imageArchive(ctx)}`, `oci:${layout}:pause`],
    ['umoci', 'config', '--image', `${layout}:pause`, '--config.cmd', 'sleep', '--config.cmd', 'infinity'],
    ['skopeo', 'copy', '-q', `oci:${layout}:pause`, `oci-archive:${archive}:${BENCH_SANDBOX_IMAGE}`],
    ['ctr', '--address', address, '--namespace', 'k8s.io', 'images', 'import', archive],
  ];
  for (const step of steps) run(step);
}

interface Started { found: Found; daemon?: ChildProcess; dir?: string; hadRunDir?: boolean }

const started = new WeakMap<BenchContext, Started>();

function startPrivate(ctx: BenchContext): Started {
  for (const tool of ['containerd', 'skopeo', 'umoci']) {
    if (!onPath(tool)) return { found: { reason: `${tool} is not installed (scripts/setup.sh --peers)` } };
  }
  const dir = join(ctx.workDir, 'containerd');
  mkdirSync(join(dir, 'cni', 'net.d'), { recursive: true });
  writeFileSync(join(dir, 'config.toml'), containerdConfig(dir));
  const address = join(dir, 'containerd.sock');
  const log = openSync(join(dir, 'containerd.log'), 'a');
  const hadRunDir = existsSync(FIXED_RUN_DIR);
  const daemon = spawn('containerd', ['--config', join(dir, 'config.toml')], { stdio: ['ignore', log, log] });
  const failed = (why: string) => ({ found: { reason: `the bench's own containerd ${why} (its log: ${lastLine(join(dir, 'containerd.log'))})` }, daemon, dir, hadRunDir });
  for (const deadline = Date.now() + START_TIMEOUT_MS; ;) {
    if (daemon.exitCode !== null) return failed(`exited with ${daemon.exitCode}`);
    const version = existsSync(address) ? serverVersion(address) : undefined;
    if (version !== undefined) {
      try {
        importSandboxImage(ctx, dir, address);
      } catch (err) {
        return failed(`has no sandbox image: ${err instanceof Error ? err.message : String(err)}`);
      }
      return { found: { address, version, own: true }, daemon, dir, hadRunDir };
    }
    if (Date.now() > deadline) return failed(`did not answer within ${START_TIMEOUT_MS / 1000} s`);
    sleepSync(50);
  }
}

function lastLine(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').at(-1)?.slice(0, 300) ?? '';
  } catch {
    return 'none';
  }
}

/** The containerd to measure (the user's, else the bench's own, started once per bench), or why there is none. */
export function containerdFor(ctx: BenchContext): Found {
  let entry = started.get(ctx);
  if (entry === undefined) {
    if (!onPath('ctr')) {
      entry = { found: { reason: 'ctr is not installed (scripts/setup.sh --peers)' } };
    } else {
      const address = process.env.CONTAINERD_ADDRESS || DEFAULT_ADDRESS;
      const version = existsSync(address) ? serverVersion(address) : undefined;
      entry = version !== undefined ? { found: { address, version, own: false } } : startPrivate(ctx);
    }
    started.set(ctx, entry);
  }
  return entry.found;
}

/** Stop the bench's own containerd (SIGTERM, SIGKILL after STOP_TIMEOUT_MS) and unmount what it left under its directory. */
export async function stopContainerd(ctx: BenchContext): Promise<void> {
  const entry = started.get(ctx);
  started.delete(ctx);
  if (entry?.daemon === undefined || entry.dir === undefined) return;
  const { daemon, dir } = entry;
  if (daemon.exitCode === null && daemon.signalCode === null) {
    const exited = new Promise<void>((resolve) => daemon.once('exit', () => resolve()));
    daemon.kill('SIGTERM');
    const timer = setTimeout(() => daemon.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }
  for (const m of mountPoints().filter((p) => p.startsWith(`${dir}/`)).reverse()) {
    try {
      umount(m, MNT_DETACH);
    } catch { /* gone meanwhile */ }
  }
  if (entry.hadRunDir === false) removeEmptyDirs(FIXED_RUN_DIR);
}

/** `dir` and the directories under it, where nothing else is left in them. */
function removeEmptyDirs(dir: string): void {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) if (e.isDirectory()) removeEmptyDirs(join(dir, e.name));
  try {
    rmdirSync(dir);
  } catch { /* not empty: something else uses it */ }
}
