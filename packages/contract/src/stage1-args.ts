/**
 * Entrypoint command lines (ABI.md, "Entrypoints"): stage0 formats them, a
 * stage1 executable parses them. In-process built-ins skip both and get the
 * same options as objects.
 */
import { parseArgs } from 'node:util';
import { PodstageError } from './errors.js';
import type { AppOptions, AppUpdateOptions, EnterOptions, GcOptions, RunOptions, StopOptions } from './stage1.js';

export const LOCK_FD_ENV = 'PODSTAGE_LOCK_FD';

export function formatRunArgs(o: RunOptions): string[] {
  const args = [`--net=${o.net}`];
  if (o.netns !== undefined) args.push(`--netns=${o.netns}`);
  if (o.debug) args.push('--debug');
  if (o.interactive) args.push('--interactive');
  if (o.mutable) args.push('--mutable');
  if (o.detach === true) args.push('--detach');
  if (o.insecureOptions.length > 0) args.push(`--insecure-options=${o.insecureOptions.join(',')}`);
  args.push(o.uuid);
  return args;
}

function positionalUuid(entry: string, positionals: string[]): string {
  const uuid = positionals[0];
  if (uuid === undefined) throw new PodstageError('ERR_PODSTAGE_USAGE', `${entry}: expected the pod UUID as the last argument`);
  return uuid;
}

/** Unknown flags are accepted and ignored, so a newer stage0 can talk to an older stage1. */
export function parseRunArgs(argv: string[], podDir = process.cwd()): RunOptions {
  const { values, positionals } = parseArgs({
    args: argv, strict: false, allowPositionals: true,
    options: { net: { type: 'string' }, netns: { type: 'string' }, debug: { type: 'boolean' }, interactive: { type: 'boolean' }, mutable: { type: 'boolean' }, detach: { type: 'boolean' }, 'insecure-options': { type: 'string' } },
  });
  const lockFd = Number.parseInt(process.env[LOCK_FD_ENV] ?? '', 10);
  if (!Number.isInteger(lockFd)) throw new PodstageError('ERR_PODSTAGE_USAGE', `run: ${LOCK_FD_ENV} must hold the pod lock's fd`);
  const insecure = typeof values['insecure-options'] === 'string' ? values['insecure-options'].split(',') : [];
  return {
    uuid: positionalUuid('run', positionals), podDir,
    net: typeof values.net === 'string' ? values.net : 'host',
    debug: values.debug === true, interactive: values.interactive === true, mutable: values.mutable === true,
    insecureOptions: insecure, lockFd, ...(values.detach === true ? { detach: true } : {}),
    ...(typeof values.netns === 'string' ? { netns: values.netns } : {}),
  };
}

export function formatStopArgs(o: StopOptions): string[] {
  return [...(o.force ? ['--force'] : []), o.uuid];
}
export function parseStopArgs(argv: string[], podDir = process.cwd()): StopOptions {
  const { values, positionals } = parseArgs({ args: argv, strict: false, allowPositionals: true, options: { force: { type: 'boolean' } } });
  return { uuid: positionalUuid('stop', positionals), podDir, force: values.force === true };
}

export function formatGcArgs(o: GcOptions): string[] {
  return [o.uuid];
}
export function parseGcArgs(argv: string[], podDir = process.cwd()): GcOptions {
  const { positionals } = parseArgs({ args: argv, strict: false, allowPositionals: true, options: {} });
  return { uuid: positionalUuid('gc', positionals), podDir };
}

export function formatEnterArgs(o: EnterOptions): string[] {
  return [`--app=${o.app}`, ...(o.tty === true ? ['--tty'] : []), o.uuid, '--', ...o.command];
}
export function parseEnterArgs(argv: string[], podDir = process.cwd()): EnterOptions {
  const dash = argv.indexOf('--');
  const head = dash < 0 ? argv : argv.slice(0, dash);
  const command = dash < 0 ? [] : argv.slice(dash + 1);
  const { values, positionals } = parseArgs({ args: head, strict: false, allowPositionals: true, options: { app: { type: 'string' }, tty: { type: 'boolean' } } });
  if (typeof values.app !== 'string') throw new PodstageError('ERR_PODSTAGE_USAGE', 'enter: --app is required');
  return { uuid: positionalUuid('enter', positionals), podDir, app: values.app, command, ...(values.tty === true ? { tty: true } : {}) };
}

export function formatAppArgs(o: AppOptions): string[] {
  return [`--app=${o.app}`, ...(o.force ? ['--force'] : []), ...(o.gracePeriodSeconds === undefined ? [] : [`--grace-period=${o.gracePeriodSeconds}`]), o.uuid];
}
export function parseAppArgs(entry: string, argv: string[], podDir = process.cwd()): AppOptions {
  const { values, positionals } = parseArgs({
    args: argv, strict: false, allowPositionals: true, options: { app: { type: 'string' }, force: { type: 'boolean' }, 'grace-period': { type: 'string' } },
  });
  if (typeof values.app !== 'string') throw new PodstageError('ERR_PODSTAGE_USAGE', `${entry}: --app is required`);
  const grace = values['grace-period'];
  if (grace !== undefined && (typeof grace !== 'string' || !/^\d+$/.test(grace))) throw new PodstageError('ERR_PODSTAGE_USAGE', `${entry}: --grace-period: expected whole seconds`);
  return {
    uuid: positionalUuid(entry, positionals), podDir, app: values.app, force: values.force === true,
    ...(grace === undefined ? {} : { gracePeriodSeconds: Number(grace) }),
  };
}

export function formatAppUpdateArgs(o: AppUpdateOptions): string[] {
  return [`--app=${o.app}`, ...(o.memoryBytes === undefined ? [] : [`--memory=${o.memoryBytes}`]), ...(o.cpuMillis === undefined ? [] : [`--cpu=${o.cpuMillis}`]), o.uuid];
}
export function parseAppUpdateArgs(argv: string[], podDir = process.cwd()): AppUpdateOptions {
  const { values, positionals } = parseArgs({ args: argv, strict: false, allowPositionals: true, options: { app: { type: 'string' }, memory: { type: 'string' }, cpu: { type: 'string' } } });
  if (typeof values.app !== 'string') throw new PodstageError('ERR_PODSTAGE_USAGE', 'app-update: --app is required');
  const count = (flag: 'memory' | 'cpu'): number | undefined => {
    const v = values[flag];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || !/^\d+$/.test(v)) throw new PodstageError('ERR_PODSTAGE_USAGE', `app-update: --${flag}: expected a whole number`);
    return Number(v);
  };
  const memoryBytes = count('memory'), cpuMillis = count('cpu');
  return {
    uuid: positionalUuid('app-update', positionals), podDir, app: values.app,
    ...(memoryBytes === undefined ? {} : { memoryBytes }), ...(cpuMillis === undefined ? {} : { cpuMillis }),
  };
}
