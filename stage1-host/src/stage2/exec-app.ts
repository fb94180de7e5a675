/**
 * stage2 helper, run inside the pod. Two modes, one isolation:
 *   POD_DIR APP                       start the app (its runtime's create runs this); with
 *                                     PODSTAGE_CONSOLE_SOCKET, on a new terminal whose master goes there
 *   --enter POD_DIR APP PID [--tty] -- CMD
 *                                     run CMD in the running app PID (enter); --tty: on stdin as its controlling terminal
 * Either way it takes the app's cgroup, mount namespace and root, then its
 * identity, capabilities, no-new-privileges and seccomp filter, and execs in place.
 */
import { closeSync } from 'node:fs';
import { formatError, isPodstageError, readPodManifest, readPodOptions } from '@podstage/contract';
import { dup2, joinMountNamespaceOf, openPty, sendFd, setNotDumpable, takeControllingTerminal } from '@podstage/linux';
import {
  appMounts, becomeApp, cgroupLimits, createCgroup, enterRoot, joinCgroup, planApp, seccompInstaller, setOomScoreAdj, setUpAppMountNamespace,
} from '@podstage/stage1-common';
import { appCgroupInPod, CGROUP_DIR, hostVolumeInPod } from '../layout.js';

const argv = process.argv.slice(2);
const entering = argv[0] === '--enter';
const [podDir = '/pod', name = '', pidArg = ''] = entering ? argv.slice(1) : argv;
const command = entering ? argv.slice(argv.indexOf('--') + 1) : [];
const tty = entering && argv.slice(0, argv.indexOf('--')).includes('--tty');
/** Given by nspawn-runtime's create for an app with a terminal (conmon's --console-socket), reached through fd 5. */
const consoleSocket = entering ? undefined : process.env.PODSTAGE_CONSOLE_SOCKET;
const CONSOLE_DIR_FD = 5;

/** A new terminal as the app's stdio and controlling terminal; its master goes to the monitor, as runc's does. */
function useNewTerminal(socket: string): void {
  const pty = openPty();
  sendFd(socket, pty.master, 'console');
  closeSync(pty.master);
  closeSync(CONSOLE_DIR_FD);
  takeControllingTerminal(pty.slave);
  for (const fd of [0, 1, 2]) dup2(pty.slave, fd);
  closeSync(pty.slave);
}

// Visible to the apps until it execs, with the supervisor's privileges: not reachable through /proc or ptrace.
setNotDumpable();

try {
  const m = readPodManifest(podDir);
  const options = readPodOptions(podDir);
  const plan = planApp(podDir, m, name, options.insecureOptions, {
    hostVolumePath: hostVolumeInPod,
    ...(entering ? { userDbRoot: `/proc/${pidArg}/root` } : {}),
  });
  const installSeccomp = seccompInstaller(plan.isolators, options.insecureOptions);
  if (entering) {
    joinCgroup(appCgroupInPod(name), 0, CGROUP_DIR);
    joinMountNamespaceOf(pidArg);
    if (tty) takeControllingTerminal(0);
  } else {
    if (consoleSocket !== undefined) useNewTerminal(consoleSocket);
    createCgroup(appCgroupInPod(name), cgroupLimits(plan.isolators), CGROUP_DIR);
    joinCgroup(appCgroupInPod(name), 0, CGROUP_DIR);
    // pid 1: unshare made the app a pid namespace of its own (driver.ts).
    setUpAppMountNamespace(plan.rootfs, appMounts(plan, { ownProc: process.pid === 1 }));
    if (plan.isolators.oomScoreAdj !== undefined) setOomScoreAdj(name, plan.isolators.oomScoreAdj);
  }
  enterRoot(plan.rootfs);
  becomeApp({
    app: name, exec: entering ? (command.length > 0 ? command : ['/bin/sh']) : plan.exec, env: plan.env, cwd: plan.cwd,
    identity: plan.identity, capabilities: plan.capabilities, noNewPrivileges: plan.isolators.noNewPrivileges === true,
    ...(installSeccomp === undefined ? {} : { installSeccomp }),
  });
} catch (err) {
  process.stderr.write(`stage1 host: app ${name}: ${isPodstageError(err) ? formatError(err) : String((err as Error)?.stack ?? err)}\n`);
  process.exit(254);
}
