/** A setuid-root test program (tests/fixtures/setuid) and the capability sets it and apps print. */
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { lines, REPO } from './podstage.js';

const SETUID_SOURCE = join(REPO, 'tests/fixtures/setuid/setuid-status.c');

/** A static setuid-root program printing its euid and capability sets, in a directory to bind into pods. */
export async function buildSetuidProgram(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'podstage-setuid-'));
  chmodSync(dir, 0o755);
  const out = join(dir, 'setuid-status');
  const cc = await execa('gcc', ['-static', '-O2', '-o', out, SETUID_SOURCE], { reject: false });
  if (cc.exitCode !== 0) throw new Error(`gcc -static failed (apt-get install gcc libc6-dev; scripts/setup.sh does): ${String(cc.stderr)}`);
  chmodSync(out, 0o4755);
  return dir;
}

/** `CapInh: 00…` and `Euid: N` lines (from /proc/self/status or the setuid program) as a record. */
export function capSets(output: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of lines(output)) {
    const m = /^(Cap\w+|Euid):\s+(\S+)$/.exec(l);
    if (m) out[m[1] as string] = m[2] as string;
  }
  return out;
}
