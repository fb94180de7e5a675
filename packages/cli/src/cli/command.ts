/** The shape every `commands/<verb>.ts` exports (pnpm's commandNames/help/handler). */
import type { ParseArgsOptionDescriptor } from 'node:util';

export interface OptionSpec extends ParseArgsOptionDescriptor {
  description: string;
  /** Shown in help as --name=VALUE. */
  valueName?: string;
}

export interface GlobalOptions {
  dir: string;
  config: string;
  debug: boolean;
  insecureOptions: string[];
}

export interface CommandContext {
  global: GlobalOptions;
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  positionals: string[];
  /** The raw arguments after the command name, for commands that parse their own (run, enter). */
  argv: string[];
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  options: Record<string, OptionSpec>;
  /** Parse argv itself instead of the generic parser. */
  rawArgs?: boolean;
  run(ctx: CommandContext): Promise<number>;
}

export const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  dir: { type: 'string', valueName: 'DIR', description: 'podstage data directory (default /var/lib/podstage, or $PODSTAGE_DIR)' },
  config: { type: 'string', valueName: 'DIR', description: 'configuration directory: trusted keys, registries.conf, auth.json (default /etc/podstage, or $PODSTAGE_CONFIG)' },
  debug: { type: 'boolean', description: 'print debugging information to stderr' },
  'insecure-options': {
    type: 'string', multiple: true, valueName: 'LIST',
    description: 'comma-separated security features to turn off: none, image, tls, http, pubkey, capabilities, paths, seccomp, all-fetch, all-run, all',
  },
  help: { type: 'boolean', short: 'h', description: 'show help' },
};

export function formatHelp(cmd: Command): string {
  const lines = [`Usage: podstage ${cmd.usage}`, '', cmd.summary, ''];
  const opts = Object.entries({ ...cmd.options, ...GLOBAL_OPTIONS });
  if (opts.length > 0) lines.push('Options:');
  for (const [name, o] of opts) {
    const flag = `  --${name}${o.type === 'string' ? `=${o.valueName ?? 'VALUE'}` : ''}`;
    lines.push(`${flag.padEnd(34)} ${o.description}${o.multiple ? ' (repeatable)' : ''}`);
  }
  return `${lines.join('\n')}\n`;
}
