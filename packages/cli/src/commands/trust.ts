import { readFile } from 'node:fs/promises';
import { formatError, PodstageError, syscallError } from '@podstage/contract';
import type { Command } from '../cli/command.js';
import { configDir } from '../cli/context.js';

export const command: Command = {
  name: 'trust',
  summary: 'Trust public keys (cosign PEM or OpenPGP) to verify signatures of registry images under an image name prefix, or of every image (--root).',
  usage: 'trust (--prefix=PREFIX | --root) [--skip-fingerprint-review] KEYFILE...',
  options: {
    prefix: { type: 'string', valueName: 'PREFIX', description: 'image name prefix the keys sign, e.g. registry.example.com/acme' },
    root: { type: 'boolean', description: 'trust the keys for every image name' },
    'skip-fingerprint-review': { type: 'boolean', description: 'accepted for rkt compatibility: podstage never asks, it prints what it trusted' },
  },
  async run({ global, values, positionals }) {
    const prefix = values.prefix as string | undefined;
    const root = values.root === true;
    if ((prefix !== undefined) === root) throw new PodstageError('ERR_PODSTAGE_USAGE', 'trust needs exactly one of --prefix=PREFIX or --root');
    if (positionals.length === 0) throw new PodstageError('ERR_PODSTAGE_USAGE', 'trust needs at least one key file');
    const { Keystore } = await import('@podstage/images/trust');
    const keystore = new Keystore(configDir(global));
    let failed = 0;
    for (const file of positionals) {
      try {
        const text = await readFile(file).catch((err: NodeJS.ErrnoException) => {
          throw syscallError('read', file, err.code ?? String(err));
        });
        const key = await keystore.add(text, prefix === undefined ? { root: true, source: file } : { prefix, source: file });
        const scope = key.prefix === undefined ? 'as a root key (every image)' : `for prefix "${key.prefix}"`;
        const lines = [
          `Key: "${file}"`,
          `${key.kind === 'openpgp' ? 'OpenPGP' : 'PEM'} key fingerprint: ${key.fingerprint}`,
          ...key.userIds.map((id) => `\t${id}`),
          `Trusted ${scope}, stored at "${key.path}"`,
        ];
        process.stdout.write(`${lines.join('\n')}\n`);
      } catch (err) {
        failed++;
        process.stderr.write(`podstage trust: ${formatError(err)}
`);
      }
    }
    return failed === 0 ? 0 : 1;
  },
};
