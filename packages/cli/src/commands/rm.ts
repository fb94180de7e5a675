import { formatError, PodstageError } from '@podstage/contract';
import type { Command } from '../cli/command.js';
import { dataDir } from '../cli/context.js';
import { removePod } from '@podstage/runtime';
import { STAGE1S } from '../stage1s.js';

export const command: Command = {
  name: 'rm',
  summary: 'Remove pods that are not running (prepared, exited or garbage). A pod already removed (by gc, say) is not an error.',
  usage: 'rm UUID...',
  options: {},
  async run({ global, positionals }) {
    if (positionals.length === 0) throw new PodstageError('ERR_PODSTAGE_USAGE', 'rm needs at least one pod UUID');
    const dir = dataDir(global);
    let failed = 0;
    for (const id of positionals) {
      try {
        const r = await removePod(dir, STAGE1S, id);
        if (r === 'gone') process.stderr.write(`podstage rm: pod ${id} is already gone\n`);
        else process.stdout.write(`${r.removed}\n`);
      } catch (err) {
        failed++;
        process.stderr.write(`podstage rm: ${formatError(err)}\n`);
      }
    }
    return failed === 0 ? 0 : 1;
  },
};
