/**
 * App output from the guest: the pod script sends each app's stdout and
 * stderr to files in its app directory over 9p; the host follows them as they
 * grow and feeds the shared AppOutput (CRI log, and the caller's terminal in
 * stream mode), like the other stage1s' supervisors.
 */
import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pod, type OutputMode } from '@podstage/contract';
import { appOutput, type AppOutput } from '@podstage/stage1-common';

export const guestStream = (podDir: string, app: string, stream: 'stdout' | 'stderr') => join(podDir, 'apps', app, `guest.${stream}`);

const CHUNK = 256 * 1024;

/** A Readable over a file another party is still writing; ends after `finish()` once drained. */
export function followFile(path: string): { stream: Readable; finish(): void } {
  let offset = 0;
  let fd: number | undefined;
  let finishing = false;
  const buf = Buffer.alloc(CHUNK);
  const stream = new Readable({
    read() {
      const pump = () => {
        if (fd === undefined && existsSync(path)) fd = openSync(path, 'r');
        const n = fd === undefined ? 0 : readSync(fd, buf, 0, CHUNK, offset);
        if (n > 0) {
          offset += n;
          this.push(Buffer.from(buf.subarray(0, n)));
        } else if (finishing) {
          if (fd !== undefined) closeSync(fd);
          this.push(null);
        } else setTimeout(pump, 100);
      };
      pump();
    },
  });
  return { stream, finish: () => void (finishing = true) };
}

export function followApps(podDir: string, apps: string[], modes: Record<'stdout' | 'stderr', OutputMode>): { finish(): Promise<void> } {
  const followers: { finish(): void }[] = [];
  const outputs: AppOutput[] = [];
  for (const app of apps) {
    const output = appOutput(pod.appLog(podDir, app), modes);
    for (const s of ['stdout', 'stderr'] as const) {
      const f = followFile(guestStream(podDir, app, s));
      output.attach(s, f.stream);
      followers.push(f);
    }
    outputs.push(output);
  }
  return {
    async finish() {
      for (const f of followers) f.finish();
      await Promise.all(outputs.map((o) => o.close()));
    },
  };
}
