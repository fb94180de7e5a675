import { readPodManifest, writePidFile, writeFileAtomic, pod, type RunOptions } from '@podstage/contract';
import { appMounts, becomeApp, enterRoot, planApp, seccompInstaller, setOomScoreAdj, setUpAppMountNamespace } from '@podstage/stage1-common';
import { checkFlySupport } from '../translate.js';

export async function run(o: RunOptions): Promise<never> {
  const m = readPodManifest(o.podDir);
  checkFlySupport(m, o);
  const plan = planApp(o.podDir, m, m.apps[0]!.name, o.insecureOptions);
  // The app keeps this pid after exec, and the pod lock through o.lockFd.
  writePidFile(o.podDir, process.pid);
  writeFileAtomic(pod.started(o.podDir), `${new Date().toISOString()}\n`);
  setUpAppMountNamespace(plan.rootfs, appMounts(plan));
  if (plan.isolators.oomScoreAdj !== undefined) setOomScoreAdj(plan.name, plan.isolators.oomScoreAdj);
  const installSeccomp = seccompInstaller(plan.isolators, o.insecureOptions);
  enterRoot(plan.rootfs);
  return becomeApp({
    ...(installSeccomp === undefined ? {} : { installSeccomp }),
    app: plan.name, exec: plan.exec, env: plan.env, cwd: plan.cwd, identity: plan.identity,
    capabilities: plan.capabilities, noNewPrivileges: plan.isolators.noNewPrivileges === true, keepFds: [o.lockFd],
  });
}
