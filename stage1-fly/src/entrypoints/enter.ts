import { PodstageError, readPidFile, readPodManifest, readPodOptions, type EnterOptions } from '@podstage/contract';
import { joinMountNamespaceOf } from '@podstage/linux';
import { becomeApp, enterRoot, planApp, seccompInstaller } from '@podstage/stage1-common';

/**
 * Run a command with the app's own isolation: its mount namespace and root,
 * user, groups, capability bounding set and no-new-privileges.
 */
export async function enter(o: EnterOptions): Promise<number> {
  const m = readPodManifest(o.podDir);
  const pid = readPidFile(o.podDir);
  if (pid === undefined) throw new PodstageError('ERR_PODSTAGE_POD_STATE', `pod ${o.uuid} has no pid file: is it running?`);
  const plan = planApp(o.podDir, m, o.app, readPodOptions(o.podDir).insecureOptions, { userDbRoot: `/proc/${pid}/root` });
  const command = o.command.length > 0 ? o.command : ['/bin/sh'];
  const installSeccomp = seccompInstaller(plan.isolators, readPodOptions(o.podDir).insecureOptions);
  joinMountNamespaceOf(pid);
  // In the app's namespace the pod's rootfs path holds the app's overlay and mounts.
  enterRoot(plan.rootfs);
  return becomeApp({
    ...(installSeccomp === undefined ? {} : { installSeccomp }),
    app: plan.name, exec: command, env: plan.env, cwd: plan.cwd, identity: plan.identity,
    capabilities: plan.capabilities, noNewPrivileges: plan.isolators.noNewPrivileges === true,
  });
}
