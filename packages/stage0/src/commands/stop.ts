import { PodstageError } from '@podstage/contract';
import { stopPodProcesses } from '@podstage/stage1-common/cgroups';
import type { Command } from '../cli/command.js';
import { dataDir } from '../cli/context.js';
import { findPod, monitorGone, podState, callStop, readPodStage1 } from '@podstage/runtime';
import { STAGE1S } from '../stage1s.js';

export const command: Command = {
  name: 'stop',
  summary: 'Stop running pods: SIGTERM, then SIGKILL after a timeout (at once with --force).',
  usage: 'stop [--force] UUID...',
  options: { force: { type: 'boolean', description: 'kill at once' } },
  async run({ global, values, positionals }) {
    if (positionals.length === 0) throw new PodstageError('ERR_PODSTAGE_USAGE', 'stop needs at least one pod UUID');
    let failed = 0;
    for (const id of positionals) {
      try {
        const ref = findPod(dataDir(global), id);
        const state = podState(ref);
        if (state !== 'running') throw new PodstageError('ERR_PODSTAGE_POD_STATE', `pod ${ref.uuid} is ${state}, not running`);
        const force = values.force === true;
        if (!monitorGone(ref)) await callStop(STAGE1S, readPodStage1(ref.path), { uuid: ref.uuid, podDir: ref.path, force });
        // Its monitor was killed (before or during the stop): no stage1 process answers for the pod, its cgroups tell what is left.
        if (monitorGone(ref)) await stopPodProcesses(ref.uuid, { force });
        process.stdout.write(`${ref.uuid}\n`);
      } catch (err) {
        failed++;
        process.stderr.write(`podstage stop: ${(err as Error).message}\n`);
      }
    }
    return failed === 0 ? 0 : 1;
  },
};
