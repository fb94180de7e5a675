import type { Command } from '../cli/command.js';
import { parseFormat, printJson, printTable } from '../cli/output.js';
import { STAGE1S } from '../stage1s.js';

export const command: Command = {
  name: 'stage1 list',
  summary: 'List the built-in stage1s and what each honours.',
  usage: 'stage1 list [--format=table|json|json-pretty]',
  options: { format: { type: 'string', valueName: 'FORMAT', description: 'table, json or json-pretty' } },
  async run({ values }) {
    const format = parseFormat(values.format);
    const rows = [];
    for (const [name, load] of Object.entries(STAGE1S.builtins)) {
      const m = (await load()).manifest;
      rows.push({ name, version: m.version, abiVersion: m.abiVersion, available: true, default: name === STAGE1S.defaultName, entrypoints: Object.keys(m.entrypoints), capabilities: m.capabilities ?? [] });
    }
    if (format !== 'table') printJson(rows, format);
    else printTable(['NAME', 'AVAILABLE', 'ENTRYPOINTS'], rows.map((r) => [r.name, String(r.available), r.entrypoints.join(',')]));
    return 0;
  },
};
