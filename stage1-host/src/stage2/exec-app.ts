/**
 * stage2 helper: started by the supervisor inside the pod for one app; gives
 * itself the app's cgroup, mount namespace and root, then its identity,
 * capabilities, no-new-privileges and seccomp filter, and execs the app in
 * place. argv: POD_DIR APP
 */
import { readPodManifest, readPodOptions, isPodstageError } from '@podstage/contract';
import {
  appMounts, becomeApp, cgroupLimits, seccompInstaller, createCgroup, enterRoot, joinCgroup, planApp, setOomScoreAdj, setUpAppMountNamespace,
} from '@podstage/stage1-common';
import { appCgroupInPod, CGROUP_DIR, hostVolumeInPod } from '../layout.js';

const [podDir = '/pod', name = ''] = process.argv.slice(2);
try {
  const m = readPodManifest(podDir);
  const options = readPodOptions(podDir);
  const plan = planApp(podDir, m, name, options.insecureOptions, { hostVolumePath: hostVolumeInPod });
  const installSeccomp = seccompInstaller(plan.isolators, options.insecureOptions);
  createCgroup(appCgroupInPod(name), cgroupLimits(plan.isolators), CGROUP_DIR);
  joinCgroup(appCgroupInPod(name), 0, CGROUP_DIR);
  setUpAppMountNamespace(plan.rootfs, appMounts(plan));
  if (plan.isolators.oomScoreAdj !== undefined) setOomScoreAdj(name, plan.isolators.oomScoreAdj);
  enterRoot(plan.rootfs);
  becomeApp({
    app: name, exec: plan.exec, env: plan.env, cwd: plan.cwd, identity: plan.identity, capabilities: plan.capabilities,
    noNewPrivileges: plan.isolators.noNewPrivileges === true,
    ...(installSeccomp === undefined ? {} : { installSeccomp }),
  });
} catch (err) {
  process.stderr.write(`stage1 host: app ${name}: ${isPodstageError(err) ? err.message + (err.hint ? `; ${err.hint}` : '') : String((err as Error)?.stack ?? err)}\n`);
  process.exit(254);
}
