import { expandInsecureOptions, PodstageError } from '@podstage/contract';
import type { Command } from '../cli/command.js';
import { configDir, dataDir } from '../cli/context.js';
import { findPod, launchPod } from '@podstage/runtime';
import { STAGE1S } from '../stage1s.js';

export const command: Command = {
  name: 'run-prepared',
  summary: 'Run a pod made by prepare.',
  usage: 'run-prepared [--net=NET] [--interactive] UUID',
  options: {
    net: { type: 'string', valueName: 'NET', description: 'override the network chosen at prepare' },
    interactive: { type: 'boolean', description: 'run the single app attached to this terminal' },
  },
  async run({ global, values, positionals }) {
    if (positionals.length !== 1) throw new PodstageError('ERR_PODSTAGE_USAGE', 'run-prepared takes exactly one pod UUID');
    const dir = dataDir(global);
    const ref = findPod(dir, positionals[0] as string);
    const insecure = global.insecureOptions.length > 0 ? [...expandInsecureOptions(global.insecureOptions)] : undefined;
    return launchPod(dir, STAGE1S, ref, { net: values.net as string | undefined, configDir: configDir(global), insecureOptions: insecure, interactive: values.interactive === true, debug: global.debug });
  },
};
