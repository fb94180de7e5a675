/**
 * `podstage` entry point. Only this file and the chosen command's module
 * load at start-up: commands are imported on demand.
 */
import { parseArgs } from 'node:util';
import { isPodstageError, PodstageError } from '@podstage/contract';
import { formatHelp, GLOBAL_OPTIONS, type Command, type GlobalOptions } from './cli/command.js';

type Loader = () => Promise<{ command: Command }>;

/** Subcommands, by the words that name them. */
export const COMMANDS: Record<string, Loader> = {
  run: () => import('./commands/run.js'),
  prepare: () => import('./commands/prepare.js'),
  'run-prepared': () => import('./commands/run-prepared.js'),
  status: () => import('./commands/status.js'),
  list: () => import('./commands/list.js'),
  enter: () => import('./commands/enter.js'),
  stop: () => import('./commands/stop.js'),
  rm: () => import('./commands/rm.js'),
  gc: () => import('./commands/gc.js'),
  'cat-manifest': () => import('./commands/cat-manifest.js'),
  version: () => import('./commands/version.js'),
  fetch: () => import('./commands/fetch.js'),
  'image list': () => import('./commands/image-list.js'),
  'image rm': () => import('./commands/image-rm.js'),
  'image cat-manifest': () => import('./commands/image-cat-manifest.js'),
  'image import': () => import('./commands/fetch.js'),
  'image gc': () => import('./commands/image-gc.js'),
  'image export': () => import('./commands/image-export.js'),
  'image extract': () => import('./commands/image-extract.js'),
  'image render': () => import('./commands/image-render.js'),
  'image sign': () => import('./commands/image-sign.js'),
  'stage1 list': () => import('./commands/stage1-list.js'),
  'app sandbox': () => import('./commands/app-sandbox.js'),
  'app add': () => import('./commands/app-add.js'),
  'app start': () => import('./commands/app-start.js'),
  'app stop': () => import('./commands/app-stop.js'),
  'app rm': () => import('./commands/app-rm.js'),
  'app list': () => import('./commands/app-list.js'),
  'app status': () => import('./commands/app-status.js'),
  trust: () => import('./commands/trust.js'),
  'trust list': () => import('./commands/trust-list.js'),
  'trust rm': () => import('./commands/trust-rm.js'),
};

/** Commands whose own exit code is an app's: podstage's errors use 254 there (rkt). */
const APP_EXIT_COMMANDS = new Set(['run', 'run-prepared', 'enter']);

function topHelp(): string {
  const names = Object.keys(COMMANDS).map((n) => `  ${n}`).join('\n');
  return `Usage: podstage [--dir=DIR] [--config=DIR] [--debug] [--insecure-options=LIST] COMMAND [ARGS]\n\npodstage runs pods with pluggable isolation (stage1: fly today; host, runc, kvm planned).\n\nCommands:\n${names}\n\nRun 'podstage COMMAND --help' for a command's options.\n`;
}

function splitCommand(argv: string[]): { name: string; rest: string[]; before: string[] } | undefined {
  const before: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a.startsWith('-')) {
      before.push(a);
      const flag = a.replace(/^--?/, '').split('=')[0] ?? '';
      if (!a.includes('=') && GLOBAL_OPTIONS[flag]?.type === 'string') before.push(argv[++i] ?? '');
      continue;
    }
    const two = `${a} ${argv[i + 1] ?? ''}`;
    if (COMMANDS[two] !== undefined) return { name: two, rest: argv.slice(i + 2), before };
    return { name: a, rest: argv.slice(i + 1), before };
  }
  return undefined;
}

function globalOptions(values: Record<string, unknown>): GlobalOptions {
  const insecure = values['insecure-options'];
  return {
    dir: typeof values.dir === 'string' ? values.dir : '',
    config: typeof values.config === 'string' ? values.config : '',
    debug: values.debug === true,
    insecureOptions: Array.isArray(insecure) ? (insecure as string[]) : [],
  };
}

export async function main(argv: string[]): Promise<number> {
  const split = splitCommand(argv);
  if (split === undefined || split.name === 'help') {
    process.stdout.write(topHelp());
    return split === undefined && !argv.some((a) => a === '--help' || a === '-h') ? 2 : 0;
  }
  const load = COMMANDS[split.name];
  if (load === undefined) {
    process.stderr.write(`podstage: unknown command ${JSON.stringify(split.name)}; run 'podstage --help' for the list\n`);
    return 2;
  }
  const { command } = await load();
  try {
    const pre = parseArgs({ args: split.before, options: GLOBAL_OPTIONS, strict: true, allowPositionals: false });
    if (command.rawArgs) {
      if (split.rest[0] === '--help' || split.rest[0] === '-h' || pre.values.help) {
        process.stdout.write(formatHelp(command));
        return 0;
      }
      return await command.run({ global: globalOptions(pre.values), values: {}, positionals: [], argv: split.rest });
    }
    const parsed = parseArgs({ args: split.rest, options: { ...command.options, ...GLOBAL_OPTIONS }, strict: true, allowPositionals: true });
    if (parsed.values.help || pre.values.help) {
      process.stdout.write(formatHelp(command));
      return 0;
    }
    const values = { ...pre.values, ...parsed.values } as Record<string, unknown>;
    if (Array.isArray(pre.values['insecure-options']) && Array.isArray(parsed.values['insecure-options'])) {
      values['insecure-options'] = [...pre.values['insecure-options'], ...(parsed.values['insecure-options'] as string[])];
    }
    return await command.run({ global: globalOptions(values), values: parsed.values as never, positionals: parsed.positionals, argv: split.rest });
  } catch (err) {
    return reportError(command.name, err, APP_EXIT_COMMANDS.has(split.name) ? 254 : undefined, argv.includes('--debug'));
  }
}

export function reportError(where: string, err: unknown, exitCode?: number, debug = false): number {
  const e = err as NodeJS.ErrnoException & { hint?: string };
  const usage = (isPodstageError(err) && err.code === 'ERR_PODSTAGE_USAGE') || e?.code?.startsWith?.('ERR_PARSE_ARGS');
  const hint = isPodstageError(err) && err.hint ? `; ${err.hint}` : '';
  process.stderr.write(`podstage ${where}: ${e?.message ?? String(err)}${hint}\n`);
  if (debug && e?.stack) process.stderr.write(`${e.stack}\n`);
  if (!isPodstageError(err) && !usage && !debug && e?.code === undefined) process.stderr.write('(unexpected error: rerun with --debug for a stack trace)\n');
  return exitCode ?? (usage ? 2 : 1);
}

export { PodstageError };
