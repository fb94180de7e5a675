import type { Command } from '../cli/command.js';
import { configDir } from '../cli/context.js';
import { parseFormat, printJson, printTable } from '../cli/output.js';

const ROOT_LABEL = '<root>';

export const command: Command = {
  name: 'trust list',
  summary: 'List trusted keys and the image name prefixes they are trusted for.',
  usage: 'trust list [--format=table|json|json-pretty] [--no-legend]',
  options: {
    format: { type: 'string', valueName: 'FORMAT', description: 'table, json or json-pretty' },
    'no-legend': { type: 'boolean', description: 'omit the header line' },
  },
  async run({ global, values }) {
    const format = parseFormat(values.format);
    const { Keystore } = await import('@podstage/images/trust');
    const keys = await new Keystore(configDir(global)).list();
    if (format !== 'table') {
      printJson(keys.map((k) => ({ prefix: k.prefix ?? null, root: k.root, fingerprint: k.fingerprint, kind: k.kind, userIds: k.userIds, path: k.path })), format);
      return 0;
    }
    printTable(['PREFIX', 'FINGERPRINT', 'KIND', 'USER-ID'], keys.map((k) => [
      k.prefix ?? ROOT_LABEL, k.fingerprint, k.kind, k.userIds.join(', ') || '-',
    ]), values['no-legend'] !== true);
    return 0;
  },
};
