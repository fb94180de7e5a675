import { PodstageError, readPodManifest } from '@podstage/contract';
import type { Command } from '../cli/command.js';
import { dataDir } from '../cli/context.js';
import { findPod, monitorGone, podState, handOverEnter, readPodStage1 } from '@podstage/runtime';
import { STAGE1S } from '../stage1s.js';

export const command: Command = {
  name: 'enter',
  summary: "Run a command inside a running app, with the app's own isolation (default /bin/sh).",
  usage: 'enter [--app=NAME] UUID [-- COMMAND [ARGS...]]',
  options: { app: { type: 'string', valueName: 'NAME', description: 'the app to enter (needed when the pod has several)' } },
  async run({ global, values, positionals }) {
    const [uuid, ...command] = positionals;
    if (uuid === undefined) throw new PodstageError('ERR_PODSTAGE_USAGE', 'enter needs a pod UUID');
    const ref = findPod(dataDir(global), uuid);
    const state = podState(ref);
    if (state !== 'running') throw new PodstageError('ERR_PODSTAGE_POD_STATE', `pod ${ref.uuid} is ${state}, not running`);
    if (monitorGone(ref)) {
      throw new PodstageError('ERR_PODSTAGE_POD_STATE', `pod ${ref.uuid} still has processes but its monitor is gone (killed): it cannot be entered`, {
        hint: `podstage stop ${ref.uuid} ends what is left`,
      });
    }
    const apps = readPodManifest(ref.path).apps;
    let app = values.app as string | undefined;
    if (app === undefined) {
      if (apps.length !== 1) throw new PodstageError('ERR_PODSTAGE_USAGE', `pod ${ref.uuid} has ${apps.length} apps: choose one with --app (${apps.map((a) => a.name).join(', ')})`);
      app = apps[0]!.name;
    }
    return handOverEnter(STAGE1S, readPodStage1(ref.path), { uuid: ref.uuid, podDir: ref.path, app, command });
  },
};
