/**
 * The pod's supervisor: PID 2 inside the pod (nspawn's stub init is PID 1 and
 * reaps orphans). Starts every app, writes their exit statuses and logs,
 * forwards stop requests, and ends the pod by policy:
 * - an ordinary pod ends when all its apps have exited, or as soon as one
 *   fails (non-zero exit or signal: the others are stopped), like rkt; its exit
 *   code is the first failing app's, else 0;
 * - a mutable pod (sandbox) stays until it is stopped.
 */
import { readPodManifest, readPodOptions } from '@podstage/contract';
import { controlSocket } from '../layout.js';
import { serveControl } from '../control/server.js';
import type { ControlReply, ControlRequest } from '../control/protocol.js';
import { startApp, stopApp, type RunningApp, type StartOptions } from './apps.js';

const podDir = process.argv[2] ?? '/pod';
const options = readPodOptions(podDir);
const manifest = readPodManifest(podDir);
const startOptions: StartOptions = {
  podDir,
  stdout: options.stdout ?? 'stream',
  stderr: options.stderr ?? 'stream',
  interactive: options.interactive === true,
  debug: process.env.PODSTAGE_DEBUG === '1',
};
const apps = new Map<string, RunningApp>();
let firstFailure: number | undefined;
let stopping = false;

function status(): ControlReply {
  return {
    ok: true,
    apps: [...apps.values()].map((a) => ({ name: a.name, state: a.state, ...(a.pid === undefined ? {} : { pid: a.pid }), ...(a.exitCode === undefined ? {} : { exitCode: a.exitCode }) })),
  };
}

async function stopPod(force: boolean, exitCode?: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  await Promise.all([...apps.values()].map((a) => stopApp(a, force)));
  server.close();
  const codes = [...apps.values()].map((a) => a.exitCode ?? 0);
  process.exit(exitCode ?? firstFailure ?? (codes.length === 1 ? codes[0] : 0));
}

function onAppExit(app: RunningApp): void {
  if (options.mutable || stopping) return;
  if (app.exitCode !== 0 && firstFailure === undefined) {
    firstFailure = app.exitCode;
    void stopPod(false, firstFailure);
    return;
  }
  if ([...apps.values()].every((a) => a.state === 'exited')) void stopPod(false);
}

function start(name: string): void {
  const existing = apps.get(name);
  if (existing?.state === 'running') throw new Error(`app ${name} is already running`);
  if (!readPodManifest(podDir).apps.some((a) => a.name === name)) throw new Error(`no app named ${name} in the pod manifest`);
  apps.set(name, startApp(name, startOptions, onAppExit));
}

async function handle(req: ControlRequest): Promise<ControlReply> {
  switch (req.op) {
    case 'status':
      return status();
    case 'stop':
      setImmediate(() => void stopPod(req.force));
      return { ok: true };
    case 'app-start':
      start(req.app);
      return status();
    case 'app-stop': {
      const app = apps.get(req.app);
      if (app === undefined) return { ok: false, error: `app ${req.app} was never started in this pod` };
      await stopApp(app, req.force);
      return status();
    }
    case 'app-rm': {
      const app = apps.get(req.app);
      if (app?.state === 'running') return { ok: false, error: `app ${req.app} is running: stop it first` };
      apps.delete(req.app);
      return status();
    }
  }
}

const server = serveControl(controlSocket(podDir), handle);
for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(sig, () => void stopPod(false));
for (const app of manifest.apps) start(app.name);
if (manifest.apps.length === 0 && !options.mutable) void stopPod(false, 0);
