import { readFileSync } from 'node:fs';
import { PodstageError, type EnterOptions } from '@podstage/contract';
import { execve } from '@podstage/stage1-common';
import { appPid, appRunning, loadPod, sandboxPid } from '@podstage/stage1-common/monitored';
import { appProcess, childOf, hostDriver, stage2InPod } from '../driver.js';
import { POD_DIR } from '../layout.js';

/** A host process's pid in the pod's pid namespace (NSpid's second field; a third is its own namespace's). */
function pidInPod(pid: number): number | undefined {
  const fields = /^NSpid:\s+(.*)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]?.split(/\s+/);
  return fields?.[1] === undefined ? undefined : Number(fields[1]);
}

/**
 * Join the pod's namespaces and the app's pid namespace with nsenter (which forks into it),
 * then let the stage2 helper give the command the app's own cgroup, mount
 * namespace, root, identity, capabilities and seccomp filter — exactly what the
 * app got — and exec it. The caller's stdio is the command's; with `--tty` the
 * command leads a session of its own whose controlling terminal is our stdin,
 * so job control and the terminal's size changes reach it and no process
 * outside the pod shares its session.
 */
export async function enter(o: EnterOptions): Promise<number> {
  const p = loadPod(o.uuid, o.podDir, hostDriver());
  const sandbox = sandboxPid(p);
  const nsenter = appPid(p, o.app);
  const app = nsenter === undefined ? undefined : appProcess(p, o.app);
  const init = sandbox === undefined ? undefined : childOf(sandbox);
  if (!appRunning(p, o.app) || app === undefined || init === undefined) {
    throw new PodstageError('ERR_PODSTAGE_POD_STATE', `app ${o.app} of pod ${o.uuid} is not running`);
  }
  const argv = stage2InPod(init, ['--enter', POD_DIR, o.app, String(pidInPod(app)), ...(o.tty === true ? ['--tty'] : []), '--', ...o.command], { pidOf: app });
  return execve(argv[0] as string, argv, { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' });
}
