import { PodstageError } from '@podstage/contract';
import { launchPod, startDetached } from '@podstage/runtime';
import type { Command, OptionSpec } from '../cli/command.js';
import { configDir, dataDir } from '../cli/context.js';
import { APP_OPTIONS, POD_OPTIONS } from '../cli/pod-args.js';
import { prepareFromArgs } from '../cli/pod-request.js';
import { STAGE1S } from '../stage1s.js';

const RUN_OPTIONS: Record<string, OptionSpec> = {
  detach: { type: 'boolean', short: 'd', description: "print the pod's UUID and return once it runs (podman run -d); its output goes to its logs, podstage stop ends it" },
};

export const command: Command = {
  name: 'run',
  summary: "Prepare a pod from images and run it. Exits with the app's exit code (254 when podstage itself fails), or at once with --detach.",
  usage: 'run [POD FLAGS] IMAGE [APP FLAGS] [-- COMMAND [ARGS...]] [--- IMAGE ...]',
  options: { ...POD_OPTIONS, ...RUN_OPTIONS, ...APP_OPTIONS },
  rawArgs: true,
  async run({ global, argv }) {
    const { prepared, flags, insecureOptions } = await prepareFromArgs(global, argv, {
      extraPodOptions: RUN_OPTIONS,
      checkFlags: (f) => {
        if (f.detach === true && f.interactive === true) throw new PodstageError('ERR_PODSTAGE_USAGE', '--detach: a detached pod cannot be --interactive');
      },
    });
    const launch = { net: flags.net as string | undefined, configDir: configDir(global), insecureOptions, interactive: flags.interactive === true, debug: global.debug };
    if (flags.detach !== true) return launchPod(dataDir(global), STAGE1S, prepared.ref, launch, prepared.lock);
    const pod = await startDetached(dataDir(global), STAGE1S, prepared.ref, launch, { held: prepared.lock });
    process.stdout.write(`${pod.uuid}\n`);
    return 0;
  },
};
