import type { Command } from '../cli/command.js';
import { APP_OPTIONS, POD_OPTIONS } from '../cli/pod-args.js';
import { dataDir } from '../cli/context.js';
import { launchPod } from '@podstage/runtime';
import { prepareFromArgs } from '../cli/pod-request.js';
import { STAGE1S } from '../stage1s.js';

export const command: Command = {
  name: 'run',
  summary: "Prepare a pod from images and run it. Exits with the app's exit code (254 when podstage itself fails).",
  usage: 'run [POD FLAGS] IMAGE [APP FLAGS] [-- COMMAND [ARGS...]] [--- IMAGE ...]',
  options: { ...POD_OPTIONS, ...APP_OPTIONS },
  rawArgs: true,
  async run({ global, argv }) {
    const { prepared, flags, insecureOptions } = await prepareFromArgs(global, argv);
    return launchPod(dataDir(global), STAGE1S, prepared.ref, {
      net: flags.net as string | undefined, insecureOptions, interactive: flags.interactive === true, debug: global.debug,
    }, prepared.lock);
  },
};
