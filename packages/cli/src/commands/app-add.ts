import { PodstageError } from '@podstage/contract';
import type { Command } from '../cli/command.js';
import { dataDir, openStore } from '../cli/context.js';
import { cliFetchOptions } from '../cli/pod-request.js';
import { APP_OPTIONS, parsePodArgs } from '../cli/pod-args.js';
import { addApp } from '@podstage/runtime';
import { STAGE1S } from '../stage1s.js';

export const command: Command = {
  name: 'app add',
  summary: 'Add an app to a running sandbox (it is created, not started: see app start). Prints the app name.',
  usage: 'app add UUID IMAGE [APP FLAGS] [-- COMMAND [ARGS...]]',
  options: APP_OPTIONS,
  rawArgs: true,
  async run({ global, argv }) {
    const [uuid, ...rest] = argv;
    if (uuid === undefined || rest.length === 0) throw new PodstageError('ERR_PODSTAGE_USAGE', 'app add needs a pod UUID and an image');
    const { request, flags } = parsePodArgs(rest);
    const name = await addApp(dataDir(global), STAGE1S, uuid, request, { store: await openStore(global), fetch: cliFetchOptions(global, flags) });
    process.stdout.write(`${name}\n`);
    return 0;
  },
};
