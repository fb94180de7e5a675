import { readFileSync } from 'node:fs';
import { PodstageError } from '@podstage/contract';
import type { Command } from '../cli/command.js';
import { openStore } from '../cli/context.js';

export const command: Command = {
  name: 'image cat-manifest',
  summary: "Print an image's OCI manifest.",
  usage: 'image cat-manifest ID|NAME',
  options: {},
  async run({ global, positionals }) {
    if (positionals.length !== 1) throw new PodstageError('ERR_PODSTAGE_USAGE', 'image cat-manifest takes exactly one image');
    const store = await openStore(global);
    const record = await store.resolve(positionals[0] as string);
    const manifest = JSON.parse(readFileSync(store.blobPath(record.id), 'utf8')) as unknown;
    process.stdout.write(`${JSON.stringify(manifest, null, 2)}\n`);
    return 0;
  },
};
