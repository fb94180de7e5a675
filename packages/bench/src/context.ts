/** What every scenario gets: the CLI to time, the image, the targets, and the fixtures on a scratch directory. */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Peer } from './peers.js';
import type { RunOptions } from './run.js';
import type { PodstageTarget } from './targets.js';

export interface BenchContext {
  /** bin/podstage: the bench times the CLI exactly as a user types it. */
  cli: string;
  dataDir: string;
  image: string;
  /** A scratch directory of the bench's own, removed at the end. */
  workDir: string;
  targets: PodstageTarget[];
  peers: Peer[];
  run: RunOptions;
  /** Pods started at once in the density scenario. */
  densities: number[];
  quick: boolean;
  kvm?: KvmFacts;
}

/** What the bench knows of stage1-kvm, from the caller (the CLI is the only importer of built-in stage1s). */
export interface KvmFacts {
  /** The accelerator stage1-kvm chooses on this host, and why. */
  accel: string;
  /**
   * Per guest kernel (debian, minimal) QEMU booting it with stage1-kvm's initramfs as a pod's
   * guest boots, whose init exits at once: the raw isolator under kvm. Absent when not built.
   */
  bareBoots: Record<string, string[] | undefined>;
}

/** The parent of every cgroup the bench asks a runtime for (raw OCI baselines, peers), relative to a hierarchy's root. */
export const BENCH_CGROUP = 'podstage-bench';

/** Where pods see the bench's programs (read-only) and where they write what they report (ready files, results). */
export const POD_BIN = '/podstage-bench';
export const POD_OUT = '/podstage-bench-out';

export function run(argv: string[]): string {
  const r = spawnSync(argv[0] as string, argv.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim()}`);
  return r.stdout;
}

const WORKLOAD_SOURCE = fileURLToPath(new URL('../workload/benchload.c', import.meta.url));

/** The directory holding benchload, built once per bench with gcc -static (the same program in every pod and on the host). */
export function benchBinDir(ctx: BenchContext): string {
  const dir = join(ctx.workDir, 'bin');
  const program = join(dir, 'benchload');
  if (!existsSync(program)) {
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    chmodSync(ctx.workDir, 0o755);
    const r = spawnSync('gcc', ['-static', '-O2', '-o', program, WORKLOAD_SOURCE], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`gcc -static ${WORKLOAD_SOURCE}: ${r.error?.message ?? r.stderr} (apt-get install gcc libc6-dev; scripts/setup.sh does)`);
  }
  return dir;
}

/** The directory pods write into (mounted read-write at POD_OUT). */
export function benchOutDir(ctx: BenchContext): string {
  const dir = join(ctx.workDir, 'out');
  mkdirSync(dir, { recursive: true, mode: 0o777 });
  chmodSync(dir, 0o777);
  return dir;
}

/**
 * The image's tree once, for every raw isolator, with benchload at POD_BIN and
 * an empty POD_OUT to bind the out directory on (nspawn wants an os-release to call it an OS tree).
 */
export function baselineRootfs(ctx: BenchContext): string {
  const dir = join(ctx.workDir, 'rootfs');
  if (!existsSync(join(dir, 'bin'))) run([ctx.cli, `--dir=${ctx.dataDir}`, 'image', 'extract', '--rootfs-only', '--overwrite', ctx.image, dir]);
  if (!existsSync(join(dir, 'etc', 'os-release'))) {
    mkdirSync(join(dir, 'etc'), { recursive: true });
    writeFileSync(join(dir, 'etc', 'os-release'), 'ID=podstage-bench\n');
  }
  mkdirSync(join(dir, POD_BIN.slice(1)), { recursive: true });
  mkdirSync(join(dir, POD_OUT.slice(1)), { recursive: true });
  const program = join(dir, POD_BIN.slice(1), 'benchload');
  if (!existsSync(program)) copyFileSync(join(benchBinDir(ctx), 'benchload'), program);
  chmodSync(program, 0o755);
  return dir;
}

interface OciConfig {
  process: { terminal: boolean; args: string[] };
  root: { path: string; readonly: boolean };
  mounts: { destination: string; type: string; source: string; options: string[] }[];
  linux: { cgroupsPath?: string };
}

/** `runc spec`'s bundle on the baseline rootfs running `args` without a terminal, the out directory bound at POD_OUT. */
export function ociBundle(ctx: BenchContext, name: string, args: string[]): string {
  const bundle = join(ctx.workDir, 'bundles', name);
  mkdirSync(bundle, { recursive: true });
  run(['sh', '-c', `cd '${bundle}' && rm -f config.json && runc spec`]);
  const config = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')) as OciConfig;
  config.process.terminal = false;
  config.process.args = args;
  config.root = { path: baselineRootfs(ctx), readonly: true };
  config.mounts.push({ destination: POD_OUT, type: 'bind', source: benchOutDir(ctx), options: ['rbind', 'rw'] });
  config.linux.cgroupsPath = `/${BENCH_CGROUP}/${name}`;
  writeFileSync(join(bundle, 'config.json'), JSON.stringify(config, null, 2));
  return bundle;
}
