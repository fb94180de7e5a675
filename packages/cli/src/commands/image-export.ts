import { PodstageError } from '@podstage/contract';
import type { Command } from '../cli/command.js';
import { openStore } from '../cli/context.js';

export const command: Command = {
  name: 'image export',
  summary: 'Write an image from the store to FILE as an oci-archive (importable with fetch oci-archive:FILE, skopeo, podman).',
  usage: 'image export [--overwrite] IMAGE FILE',
  options: { overwrite: { type: 'boolean', description: 'replace FILE if it exists' } },
  async run({ global, values, positionals }) {
    if (positionals.length !== 2) throw new PodstageError('ERR_PODSTAGE_USAGE', 'image export takes an image and a file');
    const [ref, file] = positionals as [string, string];
    const { existsSync } = await import('node:fs');
    if (existsSync(file) && values.overwrite !== true) throw new PodstageError('ERR_PODSTAGE_USAGE', `${file} exists; pass --overwrite to replace it`);
    const store = await openStore(global);
    const { exportOciArchive } = await import('@podstage/images/export');
    await exportOciArchive(store, store.resolve(ref), file);
    return 0;
  },
};
