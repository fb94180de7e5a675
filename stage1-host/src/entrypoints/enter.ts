import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PodstageError, readPidFile, type EnterOptions } from '@podstage/contract';
import { control, execve } from '@podstage/stage1-common';
import { POD_DIR } from '../layout.js';

const EXEC_APP = fileURLToPath(new URL('../stage2/exec-app.js', import.meta.url));
const NSENTER = '/usr/bin/nsenter';

/** The pod's PID 1 (nspawn's stub init) on the host: nspawn's one remaining child. */
function podInitPid(nspawnPid: number): number {
  const children = readFileSync(`/proc/${nspawnPid}/task/${nspawnPid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  if (children.length !== 1) throw new PodstageError('ERR_PODSTAGE_POD_STATE', `nspawn ${nspawnPid} has ${children.length} children, expected the pod's init`);
  return Number(children[0]);
}

/**
 * Join the pod's namespaces with nsenter (which forks into the pid namespace),
 * then let the stage2 helper give the command the app's own cgroup, mount
 * namespace, root, identity, capabilities and seccomp filter — exactly what the
 * app got — and exec it. The caller's stdio is the command's.
 */
export async function enter(o: EnterOptions): Promise<number> {
  const nspawn = readPidFile(o.podDir);
  if (nspawn === undefined) throw new PodstageError('ERR_PODSTAGE_POD_STATE', `pod ${o.uuid} has no pid file: is it running?`);
  const status = await control(o.podDir, { op: 'status' });
  const app = status.apps?.find((a) => a.name === o.app);
  if (app?.state !== 'running' || app.pid === undefined) {
    throw new PodstageError('ERR_PODSTAGE_POD_STATE', `app ${o.app} of pod ${o.uuid} is ${app?.state ?? 'not started'}, not running`);
  }
  const args = [NSENTER, `--target=${podInitPid(nspawn)}`, '--pid', '--mount', '--uts', '--ipc', '--net', '--cgroup', '--',
    process.execPath, EXEC_APP, '--enter', POD_DIR, o.app, String(app.pid), '--', ...o.command];
  return execve(NSENTER, args, { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' });
}
