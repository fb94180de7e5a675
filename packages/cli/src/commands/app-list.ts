import { PodstageError } from '@podstage/contract';
import type { Command } from '../cli/command.js';
import { dataDir } from '../cli/context.js';
import { LIST_OPTIONS, parseFormat, printJson, printTable } from '../cli/output.js';
import { appInfos, findPod } from '@podstage/runtime/status';

export const command: Command = {
  name: 'app list',
  summary: "List a pod's apps and their states (created, running, exited).",
  usage: 'app list [--format=table|json|json-pretty] [--no-legend] UUID',
  options: LIST_OPTIONS,
  async run({ global, values, positionals }) {
    if (positionals.length !== 1) throw new PodstageError('ERR_PODSTAGE_USAGE', 'app list takes one pod UUID');
    const apps = appInfos(findPod(dataDir(global), positionals[0] as string));
    const format = parseFormat(values.format);
    if (format !== 'table') printJson(apps, format);
    else printTable(['NAME', 'IMAGE', 'STATE', 'STARTED', 'EXIT CODE'], apps.map((a) => [a.name, a.image, a.state, a.startedAt ?? '-', a.exitCode === undefined ? '-' : String(a.exitCode)]), values['no-legend'] !== true);
    return 0;
  },
};
