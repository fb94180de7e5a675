/**
 * `podstage` entry point. Only this file and the chosen command's module
 * load at start-up: commands are imported on demand.
 */
import { parseArgs } from 'node:util';
import { formatError, isPodstageError, PodstageError } from '@podstage/contract';
import { formatHelp, GLOBAL_OPTIONS, type Command, type GlobalOptions } from './cli/command.js';

interface CommandEntry {
  /** The line the top help shows. Kept here, not in the module, so --help loads no command. */
  summary: string;
  load: () => Promise<{ command: Command }>;
}

/** Subcommands, by the words that name them. */
export const COMMANDS: Record<string, CommandEntry> = {
  run: { summary: 'Prepare a pod from images and run it', load: () => import('./commands/run.js') },
  prepare: { summary: 'Prepare a pod without running it; prints its UUID', load: () => import('./commands/prepare.js') },
  'run-prepared': { summary: 'Run a pod made by prepare', load: () => import('./commands/run-prepared.js') },
  status: { summary: "Show a pod's state, pid and apps' exit codes", load: () => import('./commands/status.js') },
  list: { summary: 'List pods with their apps, images and states', load: () => import('./commands/list.js') },
  enter: { summary: 'Run a command inside a running app', load: () => import('./commands/enter.js') },
  attach: { summary: "Attach to a running app's output, stdin and terminal", load: () => import('./commands/attach.js') },
  stop: { summary: 'Stop running pods', load: () => import('./commands/stop.js') },
  rm: { summary: 'Remove pods that are not running', load: () => import('./commands/rm.js') },
  gc: { summary: 'Collect exited and aborted pods and what crashed imports left', load: () => import('./commands/gc.js') },
  'cat-manifest': { summary: "Print a pod's manifest", load: () => import('./commands/cat-manifest.js') },
  version: { summary: 'Print the podstage, stage1 ABI and Node versions', load: () => import('./commands/version.js') },
  cri: { summary: "Serve Kubernetes' Container Runtime Interface (runtime.v1)", load: () => import('./commands/cri.js') },
  'api-service': { summary: "Serve rkt's read-only API (v1alpha): pods, images, events, logs", load: () => import('./commands/api-service.js') },
  bench: { summary: 'What each stage1 costs here (start, stop, memory, density, steady state) next to the raw isolators, Node and podman', load: () => import('./commands/bench.js') },
  fetch: { summary: 'Fetch images into the store and print their IDs', load: () => import('./commands/fetch.js') },
  'image list': { summary: 'List images in the store', load: () => import('./commands/image-list.js') },
  'image rm': { summary: 'Remove images that no pod uses', load: () => import('./commands/image-rm.js') },
  'image cat-manifest': { summary: "Print an image's OCI manifest", load: () => import('./commands/image-cat-manifest.js') },
  'image import': { summary: 'Fetch images into the store (the same as fetch)', load: () => import('./commands/fetch.js') },
  'image gc': { summary: 'Remove images no pod uses and nobody used lately', load: () => import('./commands/image-gc.js') },
  'image export': { summary: 'Write an image to an oci-archive file', load: () => import('./commands/image-export.js') },
  'image extract': { summary: "Render an image's root filesystem into a directory", load: () => import('./commands/image-extract.js') },
  'image render': { summary: 'The same as image extract', load: () => import('./commands/image-render.js') },
  'image sign': { summary: 'Sign an image in its registry', load: () => import('./commands/image-sign.js') },
  'stage1 list': { summary: 'List the built-in stage1s and what each honours', load: () => import('./commands/stage1-list.js') },
  'app sandbox': { summary: 'Start an empty mutable pod (a sandbox) to add apps to', load: () => import('./commands/app-sandbox.js') },
  'app add': { summary: 'Add an app to a running sandbox', load: () => import('./commands/app-add.js') },
  'app start': { summary: 'Start (or restart) an app of a running sandbox', load: () => import('./commands/app-start.js') },
  'app stop': { summary: 'Stop an app of a running sandbox', load: () => import('./commands/app-stop.js') },
  'app rm': { summary: 'Remove an app from a running sandbox', load: () => import('./commands/app-rm.js') },
  'app list': { summary: "List a pod's apps and their states", load: () => import('./commands/app-list.js') },
  'app status': { summary: "Show one app's state, start time and exit code", load: () => import('./commands/app-status.js') },
  trust: { summary: 'Trust public keys to verify signed images', load: () => import('./commands/trust.js') },
  'trust list': { summary: 'List trusted keys and their image name prefixes', load: () => import('./commands/trust-list.js') },
  'trust rm': { summary: 'Stop trusting keys', load: () => import('./commands/trust-rm.js') },
};

/** Commands whose own exit code is an app's: podstage's errors use 254 there (rkt). */
const APP_EXIT_COMMANDS = new Set(['run', 'run-prepared', 'enter', 'attach']);

function commandRows(names: string[]): string {
  const width = Math.max(...names.map((n) => n.length)) + 2;
  return names.map((n) => `  ${n.padEnd(width)}${COMMANDS[n]?.summary ?? ''}`).join('\n');
}

function topHelp(): string {
  return `Usage: podstage [--dir=DIR] [--config=DIR] [--debug] [--insecure-options=LIST] COMMAND [ARGS]

podstage runs pods with pluggable isolation. Built-in stage1s: host (the default), fly, runc, kvm;
'podstage stage1 list' says what each honours, and --stage1-path runs any other stage1 directory.

Commands:
${commandRows(Object.keys(COMMANDS))}

Run 'podstage COMMAND --help' for a command's options.
`;
}

/** The commands a group word (image, app, stage1, trust) names, itself first where it is a command too. */
function groupCommands(word: string): string[] {
  return Object.keys(COMMANDS).filter((n) => n === word || n.startsWith(`${word} `));
}

function groupHelp(word: string): string {
  const usage = COMMANDS[word] === undefined ? `${word} COMMAND` : `${word} [COMMAND]`;
  return `Usage: podstage ${usage} [ARGS]\n\nCommands:\n${commandRows(groupCommands(word))}\n\nRun 'podstage COMMAND --help' for a command's options.\n`;
}

/**
 * A group word alone (or with --help) prints its commands, as podman and docker do; followed by
 * a word that names none of them, it is a usage error that lists them.
 */
function answerGroup(word: string, rest: string[]): number {
  const sub = rest[0];
  if (sub === undefined || sub === '--help' || sub === '-h') {
    process.stdout.write(groupHelp(word));
    return 0;
  }
  const names = groupCommands(word).filter((n) => n !== word).map((n) => n.slice(word.length + 1));
  process.stderr.write(`podstage ${word}: unknown command ${JSON.stringify(sub)}; the ${word} commands are ${names.join(', ')}\n`);
  return 2;
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
  const entry = COMMANDS[split.name];
  const isGroup = groupCommands(split.name).some((n) => n !== split.name);
  if (isGroup && (entry === undefined || split.rest.length === 0)) return answerGroup(split.name, split.rest);
  if (entry === undefined) {
    process.stderr.write(`podstage: unknown command ${JSON.stringify(split.name)}; run 'podstage --help' for the list\n`);
    return 2;
  }
  const { command } = await entry.load();
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
  process.stderr.write(`podstage ${where}: ${formatError(err)}\n`);
  if (debug && e?.stack) process.stderr.write(`${e.stack}\n`);
  if (!isPodstageError(err) && !usage && !debug && e?.code === undefined) process.stderr.write('(unexpected error: rerun with --debug for a stack trace)\n');
  return exitCode ?? (usage ? 2 : 1);
}

export { PodstageError };
