import type { Command } from '../cli/command.js';
import { dataDir } from '../cli/context.js';
import { LIST_OPTIONS, parseFormat, printJson, printTable, shortUuid } from '../cli/output.js';
import { listPodRefs, podInfo } from '@podstage/runtime/status';

export const command: Command = {
  name: 'list',
  summary: 'List pods with their apps, images and states.',
  usage: 'list [--format=table|json|json-pretty] [--no-legend] [--full]',
  options: LIST_OPTIONS,
  async run({ global, values }) {
    const format = parseFormat(values.format);
    const full = values.full === true;
    const pods = listPodRefs(dataDir(global)).map(podInfo).sort((a, b) => (a.createdAt ?? '').localeCompare(b.createdAt ?? ''));
    if (format !== 'table') {
      printJson(pods, format);
      return 0;
    }
    const rows: string[][] = [];
    for (const p of pods) {
      const apps = p.apps.length > 0 ? p.apps : [{ name: '-', image: '-' }];
      apps.forEach((a, i) => {
        const when = (t?: string) => (t === undefined ? '-' : full ? t : t.replace('T', ' ').replace(/\.[0-9]+Z$/, 'Z'));
        rows.push(i === 0
          ? [shortUuid(p.uuid, full), a.name, a.image, p.state, p.stage1 ?? '-', when(p.createdAt), when(p.startedAt)]
          : ['', a.name, a.image, '', '', '', '']);
      });
    }
    printTable(['UUID', 'APP', 'IMAGE NAME', 'STATE', 'STAGE1', 'CREATED', 'STARTED'], rows, values['no-legend'] !== true);
    return 0;
  },
};
