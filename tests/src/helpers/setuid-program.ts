/** Static test programs to bind into pods: a setuid-root one (tests/fixtures/setuid), the i386-ABI probe, and the capability sets apps print. */
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { lines, REPO } from './podstage.js';

const SETUID_SOURCE = join(REPO, 'tests/fixtures/setuid/setuid-status.c');
const I386_ABI_SOURCE = join(REPO, 'tests/fixtures/i386-abi/i386-getpid.c');

async function buildStatic(source: string, out: string): Promise<void> {
  const cc = await execa('gcc', ['-static', '-O2', '-o', out, source], { reject: false });
  if (cc.exitCode !== 0) throw new Error(`gcc -static failed (apt-get install gcc libc6-dev; scripts/setup.sh does): ${String(cc.stderr)}`);
}

/**
 * A directory to bind into pods with `setuid-status`, a static setuid-root program printing its
 * euid and capability sets, and `i386-getpid`, which makes one call through the i386 ABI.
 */
export async function buildSetuidProgram(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'podstage-setuid-'));
  chmodSync(dir, 0o755);
  const out = join(dir, 'setuid-status');
  await buildStatic(SETUID_SOURCE, out);
  chmodSync(out, 0o4755);
  await buildStatic(I386_ABI_SOURCE, join(dir, 'i386-getpid'));
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
