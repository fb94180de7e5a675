import type { Command } from '../cli/command.js';
import { dataDir, openStore, parseDuration } from '../cli/context.js';
import { formatError } from '@podstage/contract';
import { gcImages } from '@podstage/runtime';

export const command: Command = {
  name: 'image gc',
  summary: 'Remove images no pod uses and nobody used within the grace period, then what crashed imports left behind.',
  usage: 'image gc [--grace-period=DURATION]',
  options: { 'grace-period': { type: 'string', valueName: 'DURATION', description: 'keep images used or imported within this time (default 24h)' } },
  async run({ global, values }) {
    const graceS = parseDuration('--grace-period', (values['grace-period'] as string | undefined) ?? '24h');
    const store = await openStore(global);
    const { removed, failed } = await gcImages(dataDir(global), store, { graceS });
    for (const image of removed) process.stdout.write(`removed ${image.id} ${image.names.join(',')}\n`.replace(/ \n$/, '\n'));
    for (const f of failed) process.stderr.write(`podstage image gc: ${formatError(f.error)}\n`);
    const orphans = await store.gcOrphans();
    if (orphans.tempEntries + orphans.trees + orphans.blobs > 0) {
      process.stdout.write(`image store: removed ${orphans.tempEntries} temporary entries, ${orphans.trees} orphaned trees, ${orphans.blobs} unreferenced blobs\n`);
    }
    return failed.length === 0 ? 0 : 1;
  },
};
