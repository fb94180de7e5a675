/**
 * The pod's supervisor: PID 2 inside the nspawn container (nspawn's stub init
 * is PID 1 and reaps orphans). The shared PodSupervisor keeps states, logs,
 * exit statuses and the policy; here apps start through the stage2 helper,
 * which builds each app's isolation and execs it in place.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { readPodOptions } from '@podstage/contract';
import { setNotDumpable } from '@podstage/linux';
import { PodSupervisor, type AppLauncher } from '@podstage/stage1-common';

// The apps share this pid namespace: keep them out of /proc/2/{root,cwd,exe,fd} (CVE-2019-5736's class).
setNotDumpable();

const EXEC_APP = fileURLToPath(new URL('../stage2/exec-app.js', import.meta.url));
const podDir = process.argv[2] ?? '/pod';

const launcher: AppLauncher = {
  start: (app, { interactive }) => spawn(process.execPath, [EXEC_APP, podDir, app], { stdio: interactive ? 'inherit' : ['ignore', 'pipe', 'pipe'] }),
  signal: (_app, child, signal) => {
    try {
      if (child.pid !== undefined) process.kill(child.pid, signal);
    } catch {
      // already gone
    }
  },
};

const supervisor = new PodSupervisor(podDir, readPodOptions(podDir), launcher);
await supervisor.begin('host');
