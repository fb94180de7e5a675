import { PodstageError, readPidFile, readPodManifest, type EnterOptions } from '@podstage/contract';
import { becomeApp, planApp } from '@podstage/stage1-common';
import { enterRoot } from '../exec.js';

/**
 * Run a command with the app's own isolation: its mount view (through
 * /proc/PID/root, which walks the app's private mount namespace), user,
 * groups, capability bounding set and no-new-privileges.
 */
export async function enter(o: EnterOptions): Promise<number> {
  const m = readPodManifest(o.podDir);
  const pid = readPidFile(o.podDir);
  if (pid === undefined) throw new PodstageError('ERR_PODSTAGE_POD_STATE', `pod ${o.uuid} has no pid file: is it running?`);
  const root = `/proc/${pid}/root`;
  const plan = planApp(o.podDir, m, o.app, [], root);
  const command = o.command.length > 0 ? o.command : ['/bin/sh'];
  enterRoot(root);
  return becomeApp({
    app: plan.name, exec: command, env: plan.env, cwd: plan.cwd, identity: plan.identity,
    capabilities: plan.capabilities, noNewPrivileges: plan.isolators.noNewPrivileges === true,
  });
}
