import { join } from 'node:path';
import { PodstageError, readPodManifest, readPodOptions, writeFileAtomic, type EnterOptions } from '@podstage/contract';
import { control, execve, planApp } from '@podstage/stage1-common';
import { bundleDir, runtimeLimits, sharesPidNamespace } from '../pod-process.js';
import { podShm } from '../pod-shm.js';
import { containerId, execArgv, podRuntime } from '../runtime.js';
import { appConfig } from '../translate.js';

/**
 * `runc exec` into the app's container with the app's own process settings
 * (user, groups, capabilities, no-new-privileges, env, cwd); the container
 * gives the namespaces, cgroup and seccomp filter. The caller's stdio is the command's.
 */
export async function enter(o: EnterOptions): Promise<number> {
  const status = await control(o.podDir, { op: 'status' });
  const app = status.apps?.find((a) => a.name === o.app);
  if (app?.state !== 'running') throw new PodstageError('ERR_PODSTAGE_POD_STATE', `app ${o.app} of pod ${o.uuid} is ${app?.state ?? 'not started'}, not running`);
  const options = readPodOptions(o.podDir);
  const plan = planApp(o.podDir, readPodManifest(o.podDir), o.app, options.insecureOptions);
  const spec = appConfig(plan, { uuid: o.uuid, sandboxPid: 0, sharePid: sharesPidNamespace(readPodManifest(o.podDir)), shm: podShm(o.podDir), insecureOptions: options.insecureOptions, ...runtimeLimits() });
  const processFile = join(bundleDir(o.podDir, o.app), `enter-${process.pid}.json`);
  writeFileAtomic(processFile, JSON.stringify({ ...spec.process, args: o.command.length > 0 ? o.command : ['/bin/sh'], terminal: false }));
  const [cmd, args] = execArgv(podRuntime(options.ociRuntime, readPodManifest(o.podDir).annotations), containerId(o.uuid, o.app), processFile);
  return execve(cmd, [cmd, ...args], { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' });
}
