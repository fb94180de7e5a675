/**
 * The apps of one pod as the supervisor runs them: each is started through
 * the stage2 helper (which builds the app's isolation and execs it in
 * place), so the child's pid and exit status are the app's.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { rmSync } from 'node:fs';
import { pod, writeAppExitStatus, writeFileAtomic, type OutputMode } from '@podstage/contract';
import { appOutput } from './output.js';

const EXEC_APP = fileURLToPath(new URL('../stage2/exec-app.js', import.meta.url));
export const STOP_TIMEOUT_MS = 10_000;

export type AppState = 'running' | 'exited';

export interface RunningApp {
  name: string;
  state: AppState;
  pid?: number;
  exitCode?: number;
  child?: ChildProcess;
  exited: Promise<number>;
}

export interface StartOptions {
  podDir: string;
  stdout: OutputMode;
  stderr: OutputMode;
  interactive: boolean;
  debug: boolean;
}

/** Shell convention: a signal death is 128 + signal number. */
export function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  return 128 + (signal === null ? 0 : (constants.signals[signal] ?? 0));
}

export function startApp(name: string, o: StartOptions, onExit: (app: RunningApp) => void): RunningApp {
  rmSync(pod.appExitStatus(o.podDir, name), { force: true });
  writeFileAtomic(pod.appStarted(o.podDir, name), `${new Date().toISOString()}\n`);
  const child = spawn(process.execPath, [EXEC_APP, o.podDir, name], {
    stdio: o.interactive ? 'inherit' : ['ignore', 'pipe', 'pipe'],
    env: { ...process.env },
  });
  const output = appOutput(pod.appLog(o.podDir, name), { stdout: o.stdout, stderr: o.stderr });
  output.attach('stdout', child.stdout);
  output.attach('stderr', child.stderr);
  const app: RunningApp = { name, state: 'running', child, exited: Promise.resolve(0) };
  if (child.pid !== undefined) app.pid = child.pid;
  app.exited = new Promise<number>((resolve) => {
    child.on('exit', (code, signal) => {
      const status = exitCodeOf(code, signal);
      void output.close().then(() => {
        writeAppExitStatus(o.podDir, name, status);
        app.state = 'exited';
        app.exitCode = status;
        delete app.child;
        onExit(app);
        resolve(status);
      });
    });
  });
  return app;
}

/** SIGTERM, then SIGKILL after the timeout (at once with force). */
export async function stopApp(app: RunningApp, force: boolean): Promise<number> {
  if (app.state === 'exited' || app.child === undefined) return app.exitCode ?? 0;
  app.child.kill(force ? 'SIGKILL' : 'SIGTERM');
  const timer = force ? undefined : setTimeout(() => app.child?.kill('SIGKILL'), STOP_TIMEOUT_MS);
  const code = await app.exited;
  if (timer !== undefined) clearTimeout(timer);
  return code;
}
