import { readFileSync } from 'node:fs';
import { ABI_VERSION } from '@podstage/contract';
import type { Command } from '../cli/command.js';
import { STAGE1S } from '../stage1s.js';

export const command: Command = {
  name: 'version',
  summary: 'Print the podstage version, the stage1 ABI version and the built-in stage1s.',
  usage: 'version',
  options: {},
  async run() {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    process.stdout.write([
      `podstage version ${pkg.version}`,
      `stage1 ABI version ${ABI_VERSION}`,
      `built-in stage1s: ${Object.keys(STAGE1S.builtins).join(', ')} (default ${STAGE1S.defaultName})`,
      `node ${process.version}`,
    ].join('\n') + '\n');
    return 0;
  },
};
