import { PodstageError } from '@podstage/contract';
import type { Command } from '../cli/command.js';
import { dataDir, openStore } from '../cli/context.js';
import { imagesInUse } from '@podstage/runtime';

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
        const record = await store.resolve(ref);
        const inUse = imagesInUse(dataDir(global));
        await store.remove(record.id, (id: string) => inUse.has(id));
        process.stdout.write(`${record.id}\n`);
      } catch (err) {
        failed++;
        process.stderr.write(`podstage image rm: ${(err as Error).message}\n`);
      }
    }
    return failed === 0 ? 0 : 1;
  },
};
