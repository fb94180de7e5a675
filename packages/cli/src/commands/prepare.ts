import type { Command } from '../cli/command.js';
import { APP_OPTIONS, POD_OPTIONS } from '../cli/pod-args.js';
import { prepareFromArgs } from '../cli/pod-request.js';

export const command: Command = {
  name: 'prepare',
  summary: 'Prepare a pod without running it; prints its UUID for run-prepared.',
  usage: 'prepare [POD FLAGS] IMAGE [APP FLAGS] [-- COMMAND [ARGS...]] [--- IMAGE ...]',
  options: { ...POD_OPTIONS, ...APP_OPTIONS },
  rawArgs: true,
  async run({ global, argv }) {
    const { prepared } = await prepareFromArgs(global, argv);
    prepared.lock.release();
    process.stdout.write(`${prepared.ref.uuid}\n`);
    return 0;
  },
};
