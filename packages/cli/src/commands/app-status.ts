import { PodstageError } from '@podstage/contract';
import type { Command } from '../cli/command.js';
import { dataDir } from '../cli/context.js';
import { parseFormat, printJson } from '../cli/output.js';
import { appInfos, findPod } from '@podstage/runtime/status';

export const command: Command = {
  name: 'app status',
  summary: "Show one app's state, start time and exit code.",
  usage: 'app status --app=NAME [--format=table|json|json-pretty] UUID',
  options: {
    app: { type: 'string', valueName: 'NAME', description: 'the app' },
    format: { type: 'string', valueName: 'FORMAT', description: 'table (key=value lines), json or json-pretty' },
  },
  async run({ global, values, positionals }) {
    if (positionals.length !== 1 || typeof values.app !== 'string') throw new PodstageError('ERR_PODSTAGE_USAGE', 'usage: podstage app status --app=NAME UUID');
    const app = appInfos(findPod(dataDir(global), positionals[0] as string)).find((a) => a.name === values.app);
    if (app === undefined) throw new PodstageError('ERR_PODSTAGE_APP_NOT_FOUND', `no app named ${values.app} in pod ${positionals[0]}`);
    const format = parseFormat(values.format);
    if (format !== 'table') printJson(app, format);
    else process.stdout.write(`name=${app.name}\nstate=${app.state}\nstarted=${app.startedAt ?? '-'}\nexit-code=${app.exitCode ?? '-'}\n`);
    return 0;
  },
};
