import { join } from 'node:path';
import { PodstageError, writeFileAtomic, type EnterOptions } from '@podstage/contract';
import { execve, planApp } from '@podstage/stage1-common';
import { appRunning, bundleDir, containerId, loadPod } from '@podstage/stage1-common/monitored';
import { appContext, podRuntimeName, runcDriver } from '../driver.js';
import { execArgv } from '../runtime.js';
import { appProcess } from '../translate.js';

/**
 * `runc exec` into the app's container with the app's own process settings
 * (user, groups, capabilities, no-new-privileges, env, cwd); the container
 * gives the namespaces, cgroup and seccomp filter. The caller's stdio is the command's;
 * with `--tty` runc gives it a terminal of its own in the container, copies it to
 * ours and follows our size on SIGWINCH.
 */
export async function enter(o: EnterOptions): Promise<number> {
  const p = loadPod(o.uuid, o.podDir, runcDriver);
  if (!appRunning(p, o.app)) throw new PodstageError('ERR_PODSTAGE_POD_STATE', `app ${o.app} of pod ${o.uuid} is not running`);
  const plan = planApp(o.podDir, p.manifest, o.app, p.options.insecureOptions);
  const processFile = join(bundleDir(o.podDir, o.app), `enter-${process.pid}.json`);
  writeFileAtomic(processFile, JSON.stringify({ ...appProcess(plan, appContext(p, 0)), args: o.command.length > 0 ? o.command : ['/bin/sh'], terminal: o.tty === true }));
  const [cmd, args] = execArgv(podRuntimeName(p), containerId(o.uuid, o.app), processFile);
  return execve(cmd, [cmd, ...args], { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' });
}
