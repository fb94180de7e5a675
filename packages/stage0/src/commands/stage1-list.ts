import type { Command } from '../cli/command.js';
import { parseFormat, printJson, printTable } from '../cli/output.js';
import { BUILTIN_STAGE1S, DEFAULT_STAGE1, PLANNED_STAGE1S } from '../stage1/builtins.js';

export const command: Command = {
  name: 'stage1 list',
  summary: 'List the built-in stage1s and what each honours.',
  usage: 'stage1 list [--format=table|json|json-pretty]',
  options: { format: { type: 'string', valueName: 'FORMAT', description: 'table, json or json-pretty' } },
  async run({ values }) {
    const format = parseFormat(values.format);
    const rows = [];
    for (const [name, load] of Object.entries(BUILTIN_STAGE1S)) {
      const m = (await load()).manifest;
      rows.push({ name, version: m.version, abiVersion: m.abiVersion, available: true, default: name === DEFAULT_STAGE1, entrypoints: Object.keys(m.entrypoints), capabilities: m.capabilities ?? [] });
    }
    for (const [name, why] of Object.entries(PLANNED_STAGE1S)) rows.push({ name, available: false, reason: why });
    if (format !== 'table') printJson(rows, format);
    else printTable(['NAME', 'AVAILABLE', 'ENTRYPOINTS'], rows.map((r) => [r.name, String(r.available), 'entrypoints' in r && r.entrypoints ? r.entrypoints.join(',') : ('reason' in r ? r.reason : '')]));
    return 0;
  },
};
