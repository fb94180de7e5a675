/** The commands the bench runs, and how long they take. */
import { spawn } from 'node:child_process';

/** Milliseconds since `start` (a process.hrtime.bigint() reading). */
export const msSince = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e6;

/**
 * Run a command to its exit without blocking the event loop (the bench's pods are its
 * children and must go on being reaped); resolves with its wall time in ms, throws with
 * the end of its stderr when it fails.
 */
export function runCommand(argv: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(argv[0] as string, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => { err = (err + d.toString()).slice(-2000); });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(msSince(start)) : reject(new Error(`${argv.join(' ')}: exit ${code}: ${err.trim()}`))));
  });
}
