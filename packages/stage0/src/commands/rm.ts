import { existsSync } from 'node:fs';
import { pod, PodstageError } from '@podstage/contract';
import { lockDir } from '@podstage/linux';
import type { Command } from '../cli/command.js';
import { dataDir } from '../cli/context.js';
import { findPod, move } from '../pods/lifecycle.js';
import { deletePod } from '../pods/remove.js';

export const command: Command = {
  name: 'rm',
  summary: 'Remove pods that are not running (prepared, exited or garbage).',
  usage: 'rm UUID...',
  options: {},
  async run({ global, positionals }) {
    if (positionals.length === 0) throw new PodstageError('ERR_PODSTAGE_USAGE', 'rm needs at least one pod UUID');
    const dir = dataDir(global);
    let failed = 0;
    for (const id of positionals) {
      try {
        const found = findPod(dir, id);
        const lock = lockDir(found.path);
        if (lock === undefined) throw new PodstageError('ERR_PODSTAGE_POD_LOCKED', `pod ${found.uuid} is running or busy; stop it first`);
        try {
          const ref = found.dir === 'garbage' || found.dir === 'exitedGarbage' ? found : move(dir, found, found.dir === 'run' ? 'exitedGarbage' : 'garbage');
          await deletePod(ref, { runStage1Gc: existsSync(pod.stage1(ref.path)) });
        } finally {
          lock.release();
        }
        process.stdout.write(`${found.uuid}\n`);
      } catch (err) {
        failed++;
        process.stderr.write(`podstage rm: ${(err as Error).message}\n`);
      }
    }
    return failed === 0 ? 0 : 1;
  },
};
