/** Things most commands need, built on demand so short commands stay fast. */
import { DEFAULT_CONFIG_DIR, DEFAULT_DATA_DIR, PodstageError } from '@podstage/contract';
import type { ImageStore } from '@podstage/images';
import type { GlobalOptions } from './command.js';

export function dataDir(g: GlobalOptions): string {
  return g.dir || process.env.PODSTAGE_DIR || DEFAULT_DATA_DIR;
}

export function configDir(g: GlobalOptions): string {
  return g.config || process.env.PODSTAGE_CONFIG || DEFAULT_CONFIG_DIR;
}

export async function openStore(g: GlobalOptions): Promise<ImageStore> {
  const { ImageStore } = await import('@podstage/images');
  return new ImageStore(dataDir(g));
}

const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };

/** "30s", "10m", "24h" → seconds. */
export function parseDuration(flag: string, value: string): number {
  const m = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d)?$/.exec(value);
  if (m === null) throw new PodstageError('ERR_PODSTAGE_USAGE', `${flag}: expected a duration like 30s, 10m or 24h, got ${JSON.stringify(value)}`);
  return Number(m[1]) * (UNIT_SECONDS[m[2] ?? 's'] ?? 1);
}
