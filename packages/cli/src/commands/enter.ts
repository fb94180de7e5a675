import { PodstageError } from '@podstage/contract';
import type { Command } from '../cli/command.js';
import { dataDir } from '../cli/context.js';
import { enterPod } from '@podstage/runtime';
import { STAGE1S } from '../stage1s.js';

export const command: Command = {
  name: 'enter',
  summary: "Run a command inside a running app, with the app's own isolation (default /bin/sh).",
  usage: 'enter [--app=NAME] UUID [-- COMMAND [ARGS...]]',
  options: { app: { type: 'string', valueName: 'NAME', description: 'the app to enter (needed when the pod has several)' } },
  async run({ global, values, positionals }) {
    const [uuid, ...command] = positionals;
    if (uuid === undefined) throw new PodstageError('ERR_PODSTAGE_USAGE', 'enter needs a pod UUID');
    return enterPod(dataDir(global), STAGE1S, uuid, { app: values.app as string | undefined, command });
  },
};
