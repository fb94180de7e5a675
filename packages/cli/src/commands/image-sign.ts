import { readFileSync } from 'node:fs';
import { expandInsecureOptions, PodstageError } from '@podstage/contract';
import type { Command } from '../cli/command.js';
import { configDir } from '../cli/context.js';
import { AUTHFILE_OPTION } from '../cli/pod-args.js';

export const command: Command = {
  name: 'image sign',
  summary: "Sign an image in its registry with a private key (PEM for cosign-compatible signatures, or armored OpenPGP), stored at the cosign signature tag sha256-<hex>.sig.",
  usage: 'image sign --key=FILE [--authfile=FILE] docker://REGISTRY/REPO[:TAG|@DIGEST]',
  options: {
    key: { type: 'string', valueName: 'FILE', description: 'private key: PEM (ECDSA P-256, RSA, Ed25519) or unencrypted armored OpenPGP' },
    authfile: AUTHFILE_OPTION,
  },
  async run({ global, values, positionals }) {
    if (positionals.length !== 1) throw new PodstageError('ERR_PODSTAGE_USAGE', 'image sign takes one docker:// image reference');
    if (typeof values.key !== 'string') throw new PodstageError('ERR_PODSTAGE_USAGE', 'image sign needs --key=FILE');
    let key: Buffer;
    try {
      key = readFileSync(values.key);
    } catch (err) {
      throw new PodstageError('ERR_PODSTAGE_USAGE', `--key: cannot read ${values.key} (${(err as NodeJS.ErrnoException).code})`);
    }
    const { parseDockerReference } = await import('@podstage/images/registry');
    const { registryClient } = await import('@podstage/images');
    const { signImage } = await import('@podstage/images/trust');
    const client = await registryClient({
      configDir: configDir(global), authFile: values.authfile as string | undefined, insecureOptions: expandInsecureOptions(global.insecureOptions),
    });
    const ref = parseDockerReference(positionals[0] as string);
    const signed = await signImage(client, ref, key, values.key);
    process.stdout.write(`${ref.registry}/${ref.repository}@${signed.digest} signed (${signed.signatures} signature${signed.signatures === 1 ? '' : 's'} at tag ${signed.signatureTag})\n`);
    return 0;
  },
};
