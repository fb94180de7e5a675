import { spawnSync } from 'node:child_process';
import { PodstageError } from '@podstage/contract';
import { attachToApp } from '@podstage/runtime';
import type { Command } from '../cli/command.js';
import { dataDir } from '../cli/context.js';

/** Ctrl-P Ctrl-Q, docker's and podman's: leaves an app with a terminal running. */
const DETACH_KEYS = Buffer.from([0x10, 0x11]);

export const command: Command = {
  name: 'attach',
  summary: "Attach to a running app: its output from now on, and its stdin and terminal if it was given them (podstage.io/stdin, podstage.io/tty). Ctrl-P Ctrl-Q detaches from a terminal.",
  usage: 'attach [--app=NAME] UUID',
  options: { app: { type: 'string', valueName: 'NAME', description: 'the app to attach to (needed when the pod has several)' } },
  async run({ global, values, positionals }) {
    const [uuid] = positionals;
    if (uuid === undefined) throw new PodstageError('ERR_PODSTAGE_USAGE', 'attach needs a pod UUID');
    const a = await attachToApp(dataDir(global), uuid, values.app as string | undefined);
    a.onOutput((stream, data) => (stream === 'stderr' ? process.stderr : process.stdout).write(data));
    const terminal = a.stdio.tty && process.stdin.isTTY === true;
    let detach = (): void => undefined;
    const detached = new Promise<'detached'>((resolve) => { detach = () => resolve('detached'); });
    if (terminal) {
      // stty's raw, not Node's setRawMode, which keeps ONLCR: the app's terminal already turned \n into \r\n.
      spawnSync('stty', ['raw', '-echo'], { stdio: ['inherit', 'ignore', 'ignore'] });
      const resize = () => a.resize(process.stdout.columns, process.stdout.rows);
      resize();
      process.stdout.on('resize', resize);
    }
    if (a.stdio.stdin !== undefined) {
      process.stdin.on('data', (data: Buffer) => {
        const at = terminal ? data.indexOf(DETACH_KEYS) : -1;
        if (at < 0) return a.write(data);
        a.write(data.subarray(0, at));
        detach();
      });
      process.stdin.on('end', () => a.endInput());
    }
    const how = await Promise.race([a.ended, detached]);
    a.close();
    if (terminal) spawnSync('stty', ['sane'], { stdio: ['inherit', 'ignore', 'ignore'] });
    process.stdin.destroy();
    // The app's own status once it ended, as podman attach returns it.
    return how === 'detached' ? 0 : (await a.exitCode()) ?? 0;
  },
};
