import { PodstageError } from '@podstage/contract';
import type { Command } from '../cli/command.js';
import { openStore } from '../cli/context.js';

export const command: Command = {
  name: 'fetch',
  summary: 'Import an image into the store, verifying every blob: oci:DIR[:REF], oci-archive:FILE[:REF], docker-archive:FILE[:REF]. Prints the image ID.',
  usage: 'fetch [--name=NAME] TRANSPORT:REF...',
  options: { name: { type: 'string', valueName: 'NAME', description: 'name to give the image in the store' } },
  async run({ global, values, positionals }) {
    if (positionals.length === 0) throw new PodstageError('ERR_PODSTAGE_USAGE', 'fetch needs an image reference, e.g. oci-archive:busybox.tar');
    if (values.name !== undefined && positionals.length > 1) throw new PodstageError('ERR_PODSTAGE_USAGE', '--name takes a single image');
    const store = await openStore(global);
    const { importImage } = await import('../image/import.js');
    for (const ref of positionals) {
      const record = await importImage(store, ref, values.name === undefined ? {} : { name: values.name as string });
      process.stdout.write(`${record.id}\n`);
    }
    return 0;
  },
};
