/** What the peers share: the bench's image as an oci-archive, names for their containers, and trying a command. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type BenchContext, run } from '../context.js';

/** Seconds a peer's stop waits after SIGTERM before SIGKILL (podman stop's default). */
export const STOP_TIMEOUT_S = 10;

/** Seconds a probe or set-up command may take before it counts as failed. */
const COMMAND_TIMEOUT_S = 60;

/** The bench's image as an oci-archive (`podstage image export`), written once for every peer to import. */
export function imageArchive(ctx: BenchContext): string {
  const file = join(ctx.workDir, 'image.oci.tar');
  if (!existsSync(file)) run([ctx.cli, `--dir=${ctx.dataDir}`, 'image', 'export', ctx.image, file]);
  return file;
}

/** Wait `ms` without an event loop turn (peers' synchronous set-up and clean-up). */
export const sleepSync = (ms: number): void => void Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

let containers = 0;

/** A container name no other container of this bench has (peers' stores may outlive a crashed bench: the pid tells whose). */
export const containerName = (peer: string): string => `${peer}-${process.pid}-${++containers}`;

/** The gist of a failed command's stderr: its last line, without the "Error: " podman and ctr put before it. */
export function errorGist(stderr: string): string {
  const lines = stderr.trim().split('\n').filter(Boolean);
  return (lines.at(-1) ?? 'no message').replace(/^(Error|ctr): /, '').slice(0, 300);
}

/** Run `argv` to its end (only while no pod's process waits to be reaped: it blocks); undefined when it succeeded, else why not. */
export function attempt(argv: string[]): string | undefined {
  const r = spawnSync(argv[0] as string, argv.slice(1), { encoding: 'utf8', timeout: COMMAND_TIMEOUT_S * 1000 });
  if (r.status === 0) return undefined;
  return r.error ? r.error.message : errorGist(r.stderr || `exit ${r.status}`);
}

/** Run `action` until it succeeds, `tries` times at most, `gapMs` apart; the last failure is thrown. */
export async function retry(action: () => Promise<unknown>, tries = 50, gapMs = 10): Promise<void> {
  for (let n = 1; ; n++) {
    try {
      await action();
      return;
    } catch (err) {
      if (n >= tries) throw err;
      await sleep(gapMs);
    }
  }
}
