import { formatError, PodstageError } from '@podstage/contract';
import type { Command } from '../cli/command.js';
import { dataDir } from '../cli/context.js';
import { stopPod } from '@podstage/runtime';
import { STAGE1S } from '../stage1s.js';

export const command: Command = {
  name: 'stop',
  summary: 'Stop running pods: SIGTERM, then SIGKILL after a timeout (at once with --force).',
  usage: 'stop [--force] UUID...',
  options: { force: { type: 'boolean', description: 'kill at once' } },
  async run({ global, values, positionals }) {
    if (positionals.length === 0) throw new PodstageError('ERR_PODSTAGE_USAGE', 'stop needs at least one pod UUID');
    let failed = 0;
    for (const id of positionals) {
      try {
        process.stdout.write(`${await stopPod(dataDir(global), STAGE1S, id, { force: values.force === true })}\n`);
      } catch (err) {
        failed++;
        process.stderr.write(`podstage stop: ${formatError(err)}\n`);
      }
    }
    return failed === 0 ? 0 : 1;
  },
};
