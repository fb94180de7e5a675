/** app start / stop / rm: the same shape, one stage1 entrypoint each. */
import { PodstageError } from '@podstage/contract';
import type { Command } from '../cli/command.js';
import { dataDir } from '../cli/context.js';
import { controlApp } from '@podstage/runtime';
import { STAGE1S } from '../stage1s.js';

function appCommand(verb: 'start' | 'stop' | 'rm', summary: string): Command {
  return {
    name: `app ${verb}`,
    summary,
    usage: `app ${verb} --app=NAME${verb === 'stop' ? ' [--force] [--grace-period=SECONDS]' : ''} UUID`,
    options: {
      app: { type: 'string', valueName: 'NAME', description: 'the app' },
      ...(verb === 'stop' ? {
        force: { type: 'boolean' as const, description: 'SIGKILL at once' },
        'grace-period': { type: 'string' as const, valueName: 'SECONDS', description: 'seconds between SIGTERM and SIGKILL (default 10)' },
      } : {}),
    },
    async run({ global, values, positionals }) {
      if (positionals.length !== 1 || typeof values.app !== 'string') throw new PodstageError('ERR_PODSTAGE_USAGE', `usage: podstage ${this.usage}`);
      const grace = values['grace-period'];
      if (grace !== undefined && (typeof grace !== 'string' || !/^\d+$/.test(grace))) throw new PodstageError('ERR_PODSTAGE_USAGE', `--grace-period: expected whole seconds, got ${JSON.stringify(grace)}`);
      await controlApp(dataDir(global), STAGE1S, positionals[0] as string, verb, values.app, { force: values.force === true, ...(grace === undefined ? {} : { gracePeriodSeconds: Number(grace) }) });
      return 0;
    },
  };
}

export const start = appCommand('start', 'Start (or restart) an app of a running sandbox.');
export const stop = appCommand('stop', 'Stop an app of a running sandbox: SIGTERM, then SIGKILL after 10 s (--grace-period).');
export const rm = appCommand('rm', 'Remove a stopped app from a running sandbox, with its writable layer and log.');
