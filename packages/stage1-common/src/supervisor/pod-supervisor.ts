/**
 * What every stage1 with a supervisor does with a pod's apps, whatever starts
 * them (a stage2 helper inside nspawn, `runc run` on the host): keep their
 * state, exit statuses and logs, serve the control socket, and end the pod by
 * policy:
 * - an ordinary pod ends when all its apps have exited, or as soon as one
 *   fails (non-zero exit or signal: the others are stopped), like rkt; its exit
 *   code is the first failing app's, else 0 (a one-app pod: the app's);
 * - a mutable pod (sandbox) stays until it is stopped.
 */
import { rmSync } from 'node:fs';
import { constants } from 'node:os';
import type { Server } from 'node:net';
import type { Readable } from 'node:stream';
import { pod, readPodManifest, STOP_TIMEOUT_MS, writeAppExitStatus, writeFileAtomic, type OutputMode, type PodOptions } from '@podstage/contract';
import { controlSocket } from '../control/client.js';
import type { ControlReply, ControlRequest } from '../control/protocol.js';
import { serveControl } from '../control/server.js';
import { appOutput } from './app-output.js';

/**
 * A started app as the supervisor sees it: a host child process (whose exit
 * status must be the app's), or anything shaped like one (kvm: an app in the guest).
 */
export interface LaunchedApp {
  readonly pid?: number | undefined;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  on(event: 'exit', listener: (code: number | null, signal: NodeJS.Signals | null) => void): unknown;
}

/** How one stage1 starts and signals an app. */
export interface AppLauncher {
  start(app: string, stdio: { interactive: boolean }): LaunchedApp;
  signal(app: string, child: LaunchedApp, signal: NodeJS.Signals): void;
  /** After the app exited (runc: delete the container). */
  cleanUp?(app: string): Promise<void>;
  /** Run a command in a running app, for stage1s whose apps the host cannot enter itself (kvm). */
  exec?(app: string, id: string, argv: string[]): Promise<number>;
}

export interface SupervisedApp {
  name: string;
  state: 'running' | 'exited';
  pid?: number;
  exitCode?: number;
  child?: LaunchedApp;
  exited: Promise<number>;
}

/** Shell convention: a signal death is 128 + signal number. */
export function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  return 128 + (signal === null ? 0 : (constants.signals[signal] ?? 0));
}

export class PodSupervisor {
  readonly apps = new Map<string, SupervisedApp>();
  #firstFailure: number | undefined;
  #stopping = false;
  #server: Server | undefined;

  constructor(
    private readonly podDir: string,
    private readonly options: PodOptions,
    private readonly launcher: AppLauncher,
    private readonly exit: (code: number) => void = (code) => process.exit(code),
  ) {}

  serve(): void {
    this.#server = serveControl(controlSocket(this.podDir), (req) => this.handle(req));
    for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(sig, () => void this.stopPod(false));
  }

  /**
   * serve() and startAll(); an app that cannot even be described (say, an
   * unknown user) ends the pod like a failed app, with 254.
   */
  async begin(stage1: string): Promise<void> {
    try {
      this.serve();
      this.startAll();
    } catch (err) {
      const hint = (err as { hint?: string }).hint;
      process.stderr.write(`stage1 ${stage1}: ${(err as Error).message}${hint ? `; ${hint}` : ''}\n`);
      await this.stopPod(true, 254);
    }
  }

  startAll(): void {
    const apps = readPodManifest(this.podDir).apps;
    for (const app of apps) this.start(app.name);
    if (apps.length === 0 && !this.options.mutable) void this.stopPod(false, 0);
  }

  start(name: string): void {
    if (this.apps.get(name)?.state === 'running') throw new Error(`app ${name} is already running`);
    if (!readPodManifest(this.podDir).apps.some((a) => a.name === name)) throw new Error(`no app named ${name} in the pod manifest`);
    rmSync(pod.appExitStatus(this.podDir, name), { force: true });
    writeFileAtomic(pod.appStarted(this.podDir, name), `${new Date().toISOString()}\n`);
    const interactive = this.options.interactive === true;
    const child = this.launcher.start(name, { interactive });
    const modes: Record<'stdout' | 'stderr', OutputMode> = { stdout: this.options.stdout ?? 'stream', stderr: this.options.stderr ?? 'stream' };
    const output = appOutput(pod.appLog(this.podDir, name), modes);
    output.attach('stdout', child.stdout);
    output.attach('stderr', child.stderr);
    const app: SupervisedApp = { name, state: 'running', child, exited: Promise.resolve(0), ...(child.pid === undefined ? {} : { pid: child.pid }) };
    app.exited = new Promise<number>((resolve) => {
      child.on('exit', (code, signal) => {
        const status = exitCodeOf(code, signal);
        void output.close()
          .then(() => this.launcher.cleanUp?.(name))
          .catch(() => undefined)
          .then(() => {
            writeAppExitStatus(this.podDir, name, status);
            app.state = 'exited';
            app.exitCode = status;
            delete app.child;
            this.#onExit(app);
            resolve(status);
          });
      });
    });
    this.apps.set(name, app);
  }

  /** SIGTERM, then SIGKILL after the timeout (at once with force). */
  async stopApp(app: SupervisedApp, force: boolean): Promise<number> {
    if (app.state === 'exited' || app.child === undefined) return app.exitCode ?? 0;
    const child = app.child;
    this.launcher.signal(app.name, child, force ? 'SIGKILL' : 'SIGTERM');
    const timer = force ? undefined : setTimeout(() => this.launcher.signal(app.name, child, 'SIGKILL'), STOP_TIMEOUT_MS);
    const code = await app.exited;
    if (timer !== undefined) clearTimeout(timer);
    return code;
  }

  async stopPod(force: boolean, exitCode?: number): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    await Promise.all([...this.apps.values()].map((a) => this.stopApp(a, force)));
    this.#server?.close();
    const codes = [...this.apps.values()].map((a) => a.exitCode ?? 0);
    this.exit(exitCode ?? this.#firstFailure ?? (codes.length === 1 ? (codes[0] as number) : 0));
  }

  #onExit(app: SupervisedApp): void {
    if (this.options.mutable || this.#stopping) return;
    if (app.exitCode !== 0 && this.#firstFailure === undefined) {
      this.#firstFailure = app.exitCode;
      void this.stopPod(false, this.#firstFailure);
      return;
    }
    if ([...this.apps.values()].every((a) => a.state === 'exited')) void this.stopPod(false);
  }

  status(): ControlReply {
    return {
      ok: true,
      apps: [...this.apps.values()].map((a) => ({ name: a.name, state: a.state, ...(a.pid === undefined ? {} : { pid: a.pid }), ...(a.exitCode === undefined ? {} : { exitCode: a.exitCode }) })),
    };
  }

  async handle(req: ControlRequest): Promise<ControlReply> {
    switch (req.op) {
      case 'status':
        return this.status();
      case 'stop':
        setImmediate(() => void this.stopPod(req.force));
        return { ok: true };
      case 'app-start':
        this.start(req.app);
        return this.status();
      case 'app-stop': {
        const app = this.apps.get(req.app);
        if (app === undefined) return { ok: false, error: `app ${req.app} was never started in this pod` };
        await this.stopApp(app, req.force);
        return this.status();
      }
      case 'exec': {
        if (this.apps.get(req.app)?.state !== 'running') return { ok: false, error: `app ${req.app} is not running` };
        if (this.launcher.exec === undefined) return { ok: false, error: 'this stage1 does not run commands through its supervisor' };
        return { ok: true, exitCode: await this.launcher.exec(req.app, req.id, req.argv) };
      }
      case 'app-rm': {
        if (this.apps.get(req.app)?.state === 'running') return { ok: false, error: `app ${req.app} is running: stop it first` };
        this.apps.delete(req.app);
        return this.status();
      }
    }
  }
}
