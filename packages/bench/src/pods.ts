/** podstage pods as the bench runs them: `run` to exit in the foreground (cold start), or detached (`run -d`) like the peers' containers, until the app is ready. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { msSince, runCommand } from './command.js';
import { benchBinDir, benchOutDir, type BenchContext, POD_BIN, POD_OUT } from './context.js';
import type { Peer } from './peers.js';
import type { PodstageTarget } from './targets.js';

export const READY_TIMEOUT_MS = 120_000;

let podsStarted = 0;

/** A name no other pod of this bench has: for its uuid file and its ready file. */
export const uniqueToken = (target: PodstageTarget) => `${target.id}-${++podsStarted}`;

/** `podstage run` of the bench's image with the bench volumes, running `args`; the bench finds the pod by its uuid file (and removes it at the end). */
export function podRunArgv(ctx: BenchContext, target: PodstageTarget, args: string[], token = uniqueToken(target), { detach = false } = {}): string[] {
  return [
    ctx.cli, `--dir=${ctx.dataDir}`, 'run', ...(detach ? ['--detach'] : []), ...target.podFlags, `--uuid-file-save=${uuidFile(ctx, token)}`,
    ctx.image, `--volume=${benchBinDir(ctx)}:${POD_BIN}:ro`, `--volume=${benchOutDir(ctx)}:${POD_OUT}`, '--', ...args,
  ];
}

const uuidFile = (ctx: BenchContext, token: string) => join(ctx.workDir, `pod-${token}.uuid`);

export interface RunningPod {
  /** The pod's uuid (read from --uuid-file-save). */
  name: string;
  /** The pod's monitor (its `pid` file): the sandbox's conmon (host, runc, kvm), the app itself under fly. */
  pid: number;
  readyMs: number;
}

/** Wait until `file` exists (written by `benchload ready`), or the process that should make it ends. */
export async function waitForFile(file: string, child: ChildProcess | undefined, stderr: () => string, timeoutMs = READY_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(file)) {
    if (child && child.exitCode !== null) throw new Error(`exited ${child.exitCode} before it was ready: ${stderr()}`);
    if (Date.now() > deadline) throw new Error(`not ready after ${timeoutMs} ms: ${stderr()}`);
    await sleep(1);
  }
}

/** A background process whose app (`benchload ready FILE`) has signalled readiness. */
export interface ReadyProcess {
  child: ChildProcess;
  readyMs: number;
  /** The end of its stderr, for errors. */
  stderr(): string;
}

/**
 * Run `argv(file)` in the background, where `file` is the pod-side path `benchload ready` is given,
 * and resolve once that file exists, with the time it took; kills the process when it never gets ready.
 */
export async function startReadyProcess(ctx: BenchContext, argv: (file: string) => string[], token: string): Promise<ReadyProcess> {
  const start = process.hrtime.bigint();
  const [cmd, ...args] = argv(`${POD_OUT}/ready-${token}`);
  const child = spawn(cmd as string, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => { err = (err + d.toString()).slice(-2000); });
  const stderr = () => err.trim();
  try {
    await waitForFile(join(benchOutDir(ctx), `ready-${token}`), child, stderr);
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  return { child, readyMs: msSince(start), stderr };
}

/** Resolves when `child` has exited (at once when it already has); call it before asking the child to stop. */
export const childExit = (child: ChildProcess | undefined): Promise<void> =>
  child && child.exitCode === null && child.signalCode === null ? new Promise((resolve) => child.once('exit', () => resolve())) : Promise.resolve();

/** Start a detached pod running `benchload ready` (`run -d`, as the peers start theirs) and time it until the ready file appears. */
export async function startReadyPod(ctx: BenchContext, target: PodstageTarget, extraArgs: string[] = []): Promise<RunningPod> {
  const token = uniqueToken(target);
  const start = process.hrtime.bigint();
  const ready = `ready-${token}`;
  await runCommand(podRunArgv(ctx, target, [`${POD_BIN}/benchload`, 'ready', `${POD_OUT}/${ready}`, ...extraArgs], token, { detach: true }));
  const name = readFileSync(uuidFile(ctx, token), 'utf8').trim();
  await waitForFile(join(benchOutDir(ctx), ready), undefined, () => `pod ${name} (${target.id})`);
  const readyMs = msSince(start);
  return { name, pid: Number.parseInt(readFileSync(join(ctx.dataDir, 'pods', 'run', name, 'pid'), 'utf8'), 10), readyMs };
}

/** Start `benchload ready` in a detached container of `peer` (run `i`) and wait until it is ready; its name. */
export async function startReadyPeer(ctx: BenchContext, peer: Peer, i: number, token: string): Promise<string> {
  const name = await peer.start(i, [`${POD_BIN}/benchload`, 'ready', `${POD_OUT}/ready-${token}`]);
  await waitForFile(join(benchOutDir(ctx), `ready-${token}`), undefined, () => `${peer.id} container ${name}`);
  return name;
}

/** `podstage stop` the pod; the time it took. */
export const stopPod = (ctx: BenchContext, pod: RunningPod): Promise<number> => runCommand([ctx.cli, `--dir=${ctx.dataDir}`, 'stop', pod.name]);

/** The uuids of every pod the bench has made so far (those `podstage run` has saved). */
export const savedPodUuids = (ctx: BenchContext): string[] =>
  readdirSync(ctx.workDir).filter((f) => f.endsWith('.uuid')).map((f) => readFileSync(join(ctx.workDir, f), 'utf8').trim()).filter(Boolean);

/** Stop and remove every pod the bench made (and only those), by the uuid files the runs saved. */
export function removeBenchPods(ctx: BenchContext): void {
  const uuids = savedPodUuids(ctx);
  if (uuids.length === 0) return;
  spawnSync(ctx.cli, [`--dir=${ctx.dataDir}`, 'stop', '--force', ...uuids], { stdio: 'ignore' });
  spawnSync(ctx.cli, [`--dir=${ctx.dataDir}`, 'rm', ...uuids], { stdio: 'ignore' });
}
