import { formatError, PodstageError } from '@podstage/contract';
import type { Command } from '../cli/command.js';
import { configDir } from '../cli/context.js';

export const command: Command = {
  name: 'trust rm',
  summary: 'Stop trusting keys: for one prefix with --prefix, otherwise wherever they are trusted (prefixes and root).',
  usage: 'trust rm [--prefix=PREFIX] FINGERPRINT...',
  options: {
    prefix: { type: 'string', valueName: 'PREFIX', description: 'remove the keys only from this image name prefix' },
  },
  async run({ global, values, positionals }) {
    if (positionals.length === 0) throw new PodstageError('ERR_PODSTAGE_USAGE', 'trust rm needs at least one fingerprint (see `podstage trust list`)');
    const prefix = values.prefix as string | undefined;
    const { Keystore } = await import('@podstage/images/trust');
    const keystore = new Keystore(configDir(global));
    let failed = 0;
    for (const fingerprint of positionals) {
      try {
        const removed = await keystore.remove(fingerprint, prefix === undefined ? {} : { prefix });
        for (const key of removed) {
          process.stdout.write(`Removed key ${key.fingerprint} ${key.prefix === undefined ? 'from root keys' : `for prefix "${key.prefix}"`}\n`);
        }
      } catch (err) {
        failed++;
        process.stderr.write(`podstage trust rm: ${formatError(err)}
`);
      }
    }
    return failed === 0 ? 0 : 1;
  },
};
