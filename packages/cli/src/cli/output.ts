/** Tables and JSON for list-style commands (rkt's --no-legend, --full, --format). */
import { PodstageError } from '@podstage/contract';
import type { OptionSpec } from './command.js';

export type OutputFormat = 'table' | 'json' | 'json-pretty';

export function parseFormat(value: unknown): OutputFormat {
  if (value === undefined) return 'table';
  if (value === 'table' || value === 'json' || value === 'json-pretty') return value;
  throw new PodstageError('ERR_PODSTAGE_USAGE', `--format: expected table, json or json-pretty, got ${JSON.stringify(value)}`);
}

export function printJson(value: unknown, format: OutputFormat): void {
  process.stdout.write(`${format === 'json-pretty' ? JSON.stringify(value, null, 2) : JSON.stringify(value)}\n`);
}

export function printTable(header: string[], rows: string[][], legend = true): void {
  const all = legend ? [header, ...rows] : rows;
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const out = all.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd());
  if (out.length > 0) process.stdout.write(`${out.join('\n')}\n`);
}

/** rkt shows 8-character UUID and image id prefixes unless --full. */
export const shortId = (id: string, full: boolean) => (full ? id : id.replace(/^sha256:/, '').slice(0, 12));
export const shortUuid = (uuid: string, full: boolean) => (full ? uuid : uuid.slice(0, 8));

/** The options every list-style command takes (rkt's list flags). */
export const LIST_OPTIONS: Record<string, OptionSpec> = {
  format: { type: 'string', valueName: 'FORMAT', description: 'table, json or json-pretty' },
  'no-legend': { type: 'boolean', description: 'omit the header line' },
  full: { type: 'boolean', description: 'show full IDs and exact values' },
};
