import { expandInsecureOptions, PodstageError } from '@podstage/contract';
import type { Command } from '../cli/command.js';
import { configDir, openStore } from '../cli/context.js';
import { withProgress } from '../cli/progress.js';
import { AUTHFILE_OPTION } from '../cli/pod-args.js';
import { fetchImage, parsePullPolicy } from '@podstage/images';
import { normalizeImageName } from '@podstage/images';

export const command: Command = {
  name: 'fetch',
  summary: 'Fetch images into the store and print their IDs: docker://REGISTRY/REPO[:TAG|@DIGEST] (signature verified), oci:DIR[:REF], oci-archive:FILE[:REF], docker-archive:FILE[:REF].',
  usage: 'fetch [--name=NAME] [--pull-policy=never|new|update] [--authfile=FILE] IMAGE...',
  options: {
    name: { type: 'string', valueName: 'NAME', description: 'name to give the image in the store' },
    'pull-policy': { type: 'string', valueName: 'POLICY', description: 'never: store only; new: fetch if missing; update: always check the registry (default)' },
    authfile: AUTHFILE_OPTION,
  },
  async run({ global, values, positionals }) {
    if (positionals.length === 0) throw new PodstageError('ERR_PODSTAGE_USAGE', 'fetch needs an image reference, e.g. docker://registry.example/app:1.0');
    if (values.name !== undefined && positionals.length > 1) throw new PodstageError('ERR_PODSTAGE_USAGE', '--name takes a single image');
    if (values.name !== undefined) normalizeImageName(values.name as string, '--name');
    const store = await openStore(global);
    const pullPolicy = parsePullPolicy(values['pull-policy'], 'update');
    const insecureOptions = expandInsecureOptions(global.insecureOptions);
    for (const ref of positionals) {
      const record = await withProgress((onProgress) => fetchImage(store, ref, {
        pullPolicy, insecureOptions, configDir: configDir(global),
        authFile: values.authfile as string | undefined, name: values.name as string | undefined,
        onProgress, log: (line) => process.stderr.write(`${line}\n`),
      }));
      process.stdout.write(`${record.id}\n`);
    }
    return 0;
  },
};
