/**
 * Host side of `run`: the pod's cgroup, the stage1 rootfs, a private mount
 * namespace, then exec systemd-nspawn in place. nspawn is the pod's process
 * on the host: it holds the pod lock until the pod ends.
 */
import { existsSync, mkdirSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PodstageError, pod, writeFileAtomic, writePidFile, type PodManifest, type RunOptions } from '@podstage/contract';
import { clearCloexec, CLONE_NEWNS, mount, MS_PRIVATE, MS_REC, unshare } from '@podstage/linux';
import { createCgroup, execve, joinCgroup, joinDevicesCgroup, podCgroup } from '@podstage/stage1-common';
import { stage1Rootfs } from './layout.js';
import { writeStage1Rootfs } from './stage1-rootfs.js';
import { NSPAWN, nspawnArgs, nspawnBinds, WRITABLE_POD_DIRS, type NspawnContext } from './translate.js';

const packageDir = dirname(dirname(fileURLToPath(import.meta.url)));

export function findNspawn(): string {
  for (const dir of ['/usr/bin', '/bin', '/usr/local/bin']) {
    const p = join(dir, NSPAWN);
    if (existsSync(p)) return p;
  }
  throw new PodstageError('ERR_PODSTAGE_HOST', 'stage1 host needs systemd-nspawn, which is not installed', { hint: 'apt-get install systemd-container (scripts/setup.sh does)' });
}

/** DATA/pods/run/<uuid> → DATA/images/trees, where every app's lower layer lives. */
function treesDirOf(podDir: string): string {
  const dir = join(dirname(dirname(dirname(podDir))), 'images', 'trees');
  mkdirSync(dir, { recursive: true });
  return dir;
}

export function nspawnContext(o: RunOptions): NspawnContext {
  return {
    podDir: o.podDir, uuid: o.uuid, net: o.net, interactive: o.interactive, insecureOptions: o.insecureOptions, debug: o.debug,
    installRoot: dirname(packageDir),
    nodeBinary: process.execPath,
    supervisorScript: join(packageDir, 'dist', 'supervisor', 'main.js'),
    treesDir: treesDirOf(realpathSync(o.podDir)),
  };
}

export function execNspawn(m: PodManifest, o: RunOptions, ctx: NspawnContext): never {
  const nspawn = findNspawn();
  createCgroup(podCgroup(o.uuid));
  for (const dir of WRITABLE_POD_DIRS) mkdirSync(dir(o.podDir), { recursive: true });
  writeStage1Rootfs(stage1Rootfs(o.podDir), nspawnBinds(m, ctx).map((b) => b.target));
  writePidFile(o.podDir, process.pid);
  writeFileAtomic(pod.started(o.podDir), `${new Date().toISOString()}\n`);
  // nspawn cleans its propagation directory with rm_rf, which refuses a disk
  // filesystem and complains on stderr: give it a tmpfs in our own namespace.
  unshare(CLONE_NEWNS);
  mount(null, '/', null, MS_REC | MS_PRIVATE);
  mount('tmpfs', '/run/systemd/nspawn', 'tmpfs', 0, 'mode=0755');
  // nspawn leaves its payload/supervisor cgroups under its caller's: make that the pod's.
  joinCgroup(podCgroup(o.uuid));
  joinDevicesCgroup(podCgroup(o.uuid));
  clearCloexec(o.lockFd);
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', SYSTEMD_SECCOMP: '0', SYSTEMD_LOG_LEVEL: o.debug ? 'info' : 'err' };
  return execve(nspawn, [nspawn, ...nspawnArgs(m, ctx)], env);
}
