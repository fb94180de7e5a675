import { readFileSync } from 'node:fs';
import { PodstageError, type EnterOptions } from '@podstage/contract';
import { execve } from '@podstage/stage1-common';
import { appPid, appRunning, loadPod, sandboxPid } from '@podstage/stage1-common/monitored';
import { childOf, hostDriver, stage2InPod } from '../driver.js';
import { POD_DIR } from '../layout.js';

/** A host process's pid in the innermost pid namespace it is in (NSpid's last field). */
function pidInNamespace(pid: number): number | undefined {
  const fields = /^NSpid:\s+(.*)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]?.split(/\s+/);
  return fields === undefined ? undefined : Number(fields[fields.length - 1]);
}

/**
 * Join the pod's namespaces with nsenter (which forks into the pid namespace),
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
  const app = nsenter === undefined ? undefined : childOf(nsenter);
  const init = sandbox === undefined ? undefined : childOf(sandbox);
  if (!appRunning(p, o.app) || app === undefined || init === undefined) {
    throw new PodstageError('ERR_PODSTAGE_POD_STATE', `app ${o.app} of pod ${o.uuid} is not running`);
  }
  const argv = stage2InPod(init, ['--enter', POD_DIR, o.app, String(pidInNamespace(app)), ...(o.tty === true ? ['--tty'] : []), '--', ...o.command]);
  return execve(argv[0] as string, argv, { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' });
}
