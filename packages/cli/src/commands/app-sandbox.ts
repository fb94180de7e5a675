import type { Command } from '../cli/command.js';
import { configDir, dataDir } from '../cli/context.js';
import { POD_OPTIONS } from '../cli/pod-args.js';
import { launchPod } from '@podstage/runtime';
import { prepareFromArgs } from '../cli/pod-request.js';
import { STAGE1S } from '../stage1s.js';

export const command: Command = {
  name: 'app sandbox',
  summary: 'Start an empty mutable pod (a sandbox) in the foreground; add apps to it with app add and app start. Ends with podstage stop.',
  usage: 'app sandbox [POD FLAGS]',
  options: POD_OPTIONS,
  rawArgs: true,
  async run({ global, argv }) {
    const { prepared, flags, insecureOptions } = await prepareFromArgs(global, argv, { mutable: true });
    return launchPod(dataDir(global), STAGE1S, prepared.ref, {
      net: flags.net as string | undefined, configDir: configDir(global), insecureOptions, interactive: false, debug: global.debug,
    }, prepared.lock);
  },
};
