/**
 * The PodSupervisor's launcher for apps inside the guest: the host mounts the
 * app's root and shares it, the agent runs the app script, the app's output is
 * followed from the output share and its exit status arrives over the agent
 * channel. A GuestApp looks to the supervisor like a child process.
 */
import { EventEmitter } from 'node:events';
import { readPodManifest } from '@podstage/contract';
import { mountAppRootfs, planApp, unmountAppRootfs, type AppLauncher, type LaunchedApp } from '@podstage/stage1-common';
import { sharesPidNamespace } from '@podstage/stage1-common/pid-namespace';
import type { Readable } from 'node:stream';
import type { AgentChannel } from './agent-channel.js';
import { appOutputFile, followFile, removeGuestFile } from './guest-output.js';
import { shareApp, unshareApp } from './guest-share.js';
import { appScript, execScript, seccompProgram } from './translate.js';

/** Exit status of an app whose guest went away under it. */
export const GUEST_GONE_STATUS = 255;
export const EXEC_ID = /^[0-9a-f]{16}$/;

class GuestApp extends EventEmitter implements LaunchedApp {
  readonly stdout: Readable;
  readonly stderr: Readable;
  readonly #followers: { finish(): void }[];

  constructor(podDir: string, app: string) {
    super();
    const followers = (['stdout', 'stderr'] as const).map((s) => {
      removeGuestFile(appOutputFile(podDir, app, s));
      return followFile(appOutputFile(podDir, app, s));
    });
    this.#followers = followers;
    [this.stdout, this.stderr] = followers.map((f) => f.stream) as [Readable, Readable];
  }

  /** The agent's word: the output files are complete, so drain them and report. */
  ended(status: number): void {
    for (const f of this.#followers) f.finish();
    this.emit('exit', status, null);
  }
}

const base64 = (s: string) => Buffer.from(s).toString('base64');

export function guestLauncher(podDir: string, insecureOptions: readonly string[], agent: AgentChannel): AppLauncher {
  const running = new Map<string, GuestApp>();
  const execs = new Map<string, (status: number) => void>();
  const plan = (app: string) => planApp(podDir, readPodManifest(podDir), app, insecureOptions);
  agent.on('exited', (app, status) => {
    running.get(app)?.ended(status);
    running.delete(app);
  });
  agent.on('exec-exited', (id, status) => {
    execs.get(id)?.(status);
    execs.delete(id);
  });
  agent.on('closed', () => {
    for (const [app, g] of running) {
      process.stderr.write(`stage1 kvm: the guest went away while app ${app} was running\n`);
      g.ended(GUEST_GONE_STATUS);
    }
    running.clear();
    for (const done of execs.values()) done(GUEST_GONE_STATUS);
    execs.clear();
  });
  return {
    start(app) {
      const p = plan(app);
      mountAppRootfs(podDir, app);
      shareApp(podDir, p);
      const g = new GuestApp(podDir, app);
      running.set(app, g);
      agent.send('start', app, base64(appScript(p, seccompProgram(p, insecureOptions), { sharePid: sharesPidNamespace(readPodManifest(podDir)) })));
      return g;
    },
    signal(app, _child, signal) {
      agent.send('kill', app, signal.replace(/^SIG/, ''));
    },
    async cleanUp(app) {
      unshareApp(podDir, app);
      unmountAppRootfs(podDir, app);
    },
    exec(app, id, argv) {
      if (!EXEC_ID.test(id)) return Promise.reject(new Error(`exec id ${JSON.stringify(id)}: expected 16 hex digits`));
      if (argv.length === 0) return Promise.reject(new Error('exec: no command given'));
      const p = plan(app);
      const script = execScript(p, argv, seccompProgram(p, insecureOptions) !== undefined);
      return new Promise((resolve) => {
        execs.set(id, resolve);
        agent.send('exec', id, base64(script));
      });
    },
  };
}
