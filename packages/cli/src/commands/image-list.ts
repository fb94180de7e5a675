import type { Command } from '../cli/command.js';
import { openStore } from '../cli/context.js';
import { LIST_OPTIONS, parseFormat, printJson, printTable, shortId } from '../cli/output.js';

const human = (n: number) => {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${n.toFixed(i === 0 ? 0 : 1)}${units[i]}`;
};

export const command: Command = {
  name: 'image list',
  summary: 'List images in the store.',
  usage: 'image list [--format=table|json|json-pretty] [--no-legend] [--full]',
  options: LIST_OPTIONS,
  async run({ global, values }) {
    const format = parseFormat(values.format);
    const full = values.full === true;
    const images = (await (await openStore(global)).list()).sort((a, b) => a.importedAt.localeCompare(b.importedAt));
    if (format !== 'table') {
      printJson(images.map((i) => ({ id: i.id, names: i.names, size: i.size, importedAt: i.importedAt, lastUsedAt: i.lastUsedAt ?? null, source: i.source })), format);
      return 0;
    }
    printTable(['ID', 'NAME', 'SIZE', 'IMPORT TIME', 'LAST USED'], images.map((i) => [
      shortId(i.id, full), i.names.join(',') || '<none>', full ? String(i.size) : human(i.size), i.importedAt, i.lastUsedAt ?? '-',
    ]), values['no-legend'] !== true);
    return 0;
  },
};
