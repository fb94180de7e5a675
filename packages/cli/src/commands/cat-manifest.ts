import { PodstageError, readPodManifest } from '@podstage/contract';
import type { Command } from '../cli/command.js';
import { dataDir } from '../cli/context.js';
import { findPod } from '@podstage/runtime/status';

export const command: Command = {
  name: 'cat-manifest',
  summary: "Print a pod's manifest.",
  usage: 'cat-manifest UUID',
  options: {},
  async run({ global, positionals }) {
    if (positionals.length !== 1) throw new PodstageError('ERR_PODSTAGE_USAGE', 'cat-manifest takes exactly one pod UUID');
    const ref = findPod(dataDir(global), positionals[0] as string);
    process.stdout.write(`${JSON.stringify(readPodManifest(ref.path), null, 2)}\n`);
    return 0;
  },
};
