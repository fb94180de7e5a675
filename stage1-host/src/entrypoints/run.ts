import { mkdirSync } from 'node:fs';
import { readPodManifest, type RunOptions } from '@podstage/contract';
import { execNspawn, nspawnContext } from '../exec.js';
import { checkHostSupport } from '../translate.js';

export async function run(o: RunOptions): Promise<never> {
  const m = readPodManifest(o.podDir);
  checkHostSupport(m, o);
  mkdirSync('/run/systemd/nspawn', { recursive: true });
  return execNspawn(m, o, nspawnContext(o));
}
