import { formatError, PodstageError } from '@podstage/contract';
import type { Command } from '../cli/command.js';
import { dataDir, openStore } from '../cli/context.js';
import { removeImage } from '@podstage/runtime';

export const command: Command = {
  name: 'image rm',
  summary: 'Remove images (and their rendered trees) that no pod uses.',
  usage: 'image rm ID|NAME...',
  options: {},
  async run({ global, positionals }) {
    if (positionals.length === 0) throw new PodstageError('ERR_PODSTAGE_USAGE', 'image rm needs at least one image');
    const store = await openStore(global);
    let failed = 0;
    for (const ref of positionals) {
      try {
        process.stdout.write(`${(await removeImage(dataDir(global), store, ref)).id}\n`);
      } catch (err) {
        failed++;
        process.stderr.write(`podstage image rm: ${formatError(err)}\n`);
      }
    }
    return failed === 0 ? 0 : 1;
  },
};
