/**
 * Calling a pod's stage1: in-process for built-ins, by exec (run, enter) or
 * a child process (stop, gc, app-*) for a stage1 found by path.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  formatAppArgs, formatAppUpdateArgs, formatEnterArgs, formatGcArgs, formatRunArgs, formatStopArgs, LOCK_FD_ENV, pod, PodstageError,
  type AppOptions, type AppUpdateOptions, type AppUsage, type EntrypointName, type EnterOptions, type GcOptions, type RunOptions, type Stage1Implementation, type StopOptions,
} from '@podstage/contract';
import { clearCloexec, execve } from '@podstage/linux';
import type { Stage1Registry } from './registry.js';
import { readStage1Dir, type Stage1Choice } from './select.js';

export function readPodStage1(podDir: string): Stage1Choice {
  const file = pod.stage1(podDir);
  const saved = JSON.parse(readFileSync(file, 'utf8')) as Stage1Choice;
  if (saved.builtin !== undefined) return saved;
  if (saved.path !== undefined) return readStage1Dir(saved.path, file);
  throw new PodstageError('ERR_PODSTAGE_STAGE1', `${file}: names neither a built-in nor a path`);
}

async function loadBuiltin(stage1s: Stage1Registry, name: string): Promise<Stage1Implementation> {
  const load = stage1s.builtins[name];
  if (load === undefined) throw new PodstageError('ERR_PODSTAGE_STAGE1', `no built-in stage1 named ${JSON.stringify(name)}`);
  return load();
}

export function entrypointPath(choice: Stage1Choice, entry: EntrypointName, stage1s?: Stage1Registry): string | undefined {
  const rel = choice.manifest.entrypoints[entry];
  if (rel === undefined) return undefined;
  return join(choice.builtin !== undefined && stage1s !== undefined ? stage1s.builtinDir(choice.builtin) : choice.path as string, rel);
}

function unsupported(choice: Stage1Choice, entry: string): never {
  throw new PodstageError('ERR_PODSTAGE_UNSUPPORTED', `stage1 ${choice.manifest.name} does not support ${entry}`);
}

export function stage1Env(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  return { ...env, PODSTAGE_NODE: process.execPath, ...extra };
}

/** Hand the pod over to stage1's run entrypoint. Never returns. */
export async function handOverRun(stage1s: Stage1Registry, choice: Stage1Choice, o: RunOptions): Promise<never> {
  if (choice.builtin !== undefined) return (await loadBuiltin(stage1s, choice.builtin)).run(o);
  const file = entrypointPath(choice, 'run') as string;
  clearCloexec(o.lockFd);
  process.chdir(o.podDir);
  return execve(file, [file, ...formatRunArgs(o)], stage1Env({ [LOCK_FD_ENV]: String(o.lockFd) }));
}

/**
 * Detach mode in-process: a built-in whose pods live in processes of their own starts the pod
 * here and returns its monitor's pid (no run process to spawn); undefined when it cannot.
 */
export async function startInProcess(stage1s: Stage1Registry, choice: Stage1Choice, o: RunOptions): Promise<number | undefined> {
  if (choice.builtin === undefined) return undefined;
  const impl = await loadBuiltin(stage1s, choice.builtin);
  return impl.start === undefined ? undefined : impl.start({ ...o, detach: true });
}

export async function handOverEnter(stage1s: Stage1Registry, choice: Stage1Choice, o: EnterOptions): Promise<number> {
  if (choice.builtin !== undefined) {
    const impl = await loadBuiltin(stage1s, choice.builtin);
    return (impl.enter ?? (() => unsupported(choice, 'enter')))(o);
  }
  const file = entrypointPath(choice, 'enter') ?? unsupported(choice, 'enter');
  process.chdir(o.podDir);
  return execve(file, [file, ...formatEnterArgs(o)], stage1Env());
}

async function spawnEntrypoint(choice: Stage1Choice, entry: EntrypointName, podDir: string, args: string[]): Promise<void> {
  const file = entrypointPath(choice, entry) ?? unsupported(choice, entry);
  const { execa } = await import('execa');
  const r = await execa(file, args, { cwd: podDir, env: stage1Env(), extendEnv: false, reject: false, stdio: ['ignore', 'inherit', 'pipe'] });
  if (r.exitCode !== 0) {
    throw new PodstageError('ERR_PODSTAGE_STAGE1', `stage1 ${choice.manifest.name} ${entry} exited ${r.exitCode ?? r.signal}: ${String(r.stderr).trim()}`);
  }
}

export async function callStop(stage1s: Stage1Registry, choice: Stage1Choice, o: StopOptions): Promise<void> {
  if (choice.builtin !== undefined) {
    const impl = await loadBuiltin(stage1s, choice.builtin);
    return (impl.stop ?? (() => unsupported(choice, 'stop')))(o);
  }
  return spawnEntrypoint(choice, 'stop', o.podDir, formatStopArgs(o));
}

export async function callGc(stage1s: Stage1Registry, choice: Stage1Choice, o: GcOptions): Promise<void> {
  if (choice.builtin !== undefined) return (await loadBuiltin(stage1s, choice.builtin)).gc(o);
  return spawnEntrypoint(choice, 'gc', o.podDir, formatGcArgs(o));
}

const APP_HOOKS = { 'app-add': 'appAdd', 'app-start': 'appStart', 'app-stop': 'appStop', 'app-rm': 'appRm' } as const;
export async function callApp(stage1s: Stage1Registry, choice: Stage1Choice, entry: keyof typeof APP_HOOKS, o: AppOptions): Promise<void> {
  if (choice.builtin !== undefined) {
    const hook = (await loadBuiltin(stage1s, choice.builtin))[APP_HOOKS[entry]];
    return (hook ?? (() => unsupported(choice, entry)))(o);
  }
  return spawnEntrypoint(choice, entry, o.podDir, formatAppArgs(o));
}

/** ABI 5: a running app's new limits, applied by the stage1 (kvm: in its guest). */
export async function callAppUpdate(stage1s: Stage1Registry, choice: Stage1Choice, o: AppUpdateOptions): Promise<void> {
  if (choice.builtin !== undefined) {
    const impl = await loadBuiltin(stage1s, choice.builtin);
    return (impl.appUpdate ?? (() => unsupported(choice, 'app-update')))(o);
  }
  return spawnEntrypoint(choice, 'app-update', o.podDir, formatAppUpdateArgs(o));
}

/** ABI 5: a running app's usage as its stage1 measures it. */
export async function callAppStats(stage1s: Stage1Registry, choice: Stage1Choice, o: AppOptions): Promise<AppUsage> {
  if (choice.builtin !== undefined) {
    const impl = await loadBuiltin(stage1s, choice.builtin);
    return (impl.appStats ?? (() => unsupported(choice, 'app-stats')))(o);
  }
  const file = entrypointPath(choice, 'app-stats') ?? unsupported(choice, 'app-stats');
  const { execa } = await import('execa');
  const r = await execa(file, formatAppArgs(o), { cwd: o.podDir, env: stage1Env(), extendEnv: false, reject: false, stdin: 'ignore' });
  if (r.exitCode !== 0) throw new PodstageError('ERR_PODSTAGE_STAGE1', `stage1 ${choice.manifest.name} app-stats exited ${r.exitCode ?? r.signal}: ${String(r.stderr).trim()}`);
  try {
    return JSON.parse(String(r.stdout)) as AppUsage;
  } catch {
    throw new PodstageError('ERR_PODSTAGE_STAGE1', `stage1 ${choice.manifest.name} app-stats: expected one JSON object, got ${JSON.stringify(String(r.stdout).slice(0, 80))}`);
  }
}
