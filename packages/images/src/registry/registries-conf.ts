/**
 * containers-registries.conf(5), version 2: per-prefix `[[registry]]`
 * entries that rewrite a repository's location, mark it insecure or blocked,
 * and list `[[registry.mirror]]`s tried before it. Later files override
 * earlier ones entry by entry (same `prefix`), like the drop-in directory.
 */
import { readFileSync } from 'node:fs';
import { parse as parseToml } from 'smol-toml';
import { PodstageError } from '@podstage/contract/errors';
import { apiHost, canonicalRegistry, type DockerReference } from './reference.js';

export interface RegistryMirror {
  location: string;
  insecure: boolean;
}

export interface RegistryEntry {
  /** `host[:port][/path]` or `*.domain`; what references are matched against. */
  prefix: string;
  /** Where matching repositories really live; `prefix` is replaced by it. */
  location: string;
  insecure: boolean;
  blocked: boolean;
  mirrorByDigestOnly: boolean;
  mirrors: RegistryMirror[];
  /** The file that defined the entry, for error messages. */
  file: string;
}

/** One place to try for a repository, in the order they are tried. */
export interface RegistryEndpoint {
  /** `host[:port]` to send HTTP requests to. */
  host: string;
  /** Repository path at that host (a `location` may rewrite it). */
  repository: string;
  insecure: boolean;
  mirror: boolean;
}

type Table = Record<string, unknown>;

function isTable(value: unknown): value is Table {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

function fieldError(file: string, field: string, expectation: string): PodstageError {
  return new PodstageError('ERR_PODSTAGE_USAGE', `registries configuration \`${file}\`: field \`${field}\` ${expectation}`, {
    hint: 'see containers-registries.conf(5), version 2 format',
  });
}

function optionalString(table: Table, key: string, file: string, field: string): string | undefined {
  const value = table[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw fieldError(file, field, `must be a string, got ${describe(value)}`);
  return value;
}

function optionalBoolean(table: Table, key: string, file: string, field: string): boolean {
  const value = table[key];
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw fieldError(file, field, `must be a boolean, got ${describe(value)}`);
  return value;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (isTable(value)) return 'a table';
  return `${typeof value} ${JSON.stringify(value)}`;
}

/** `host[:port][/path]` without scheme or trailing slash. */
function checkLocation(value: string, file: string, field: string): string {
  if (value === '' || value.includes('://') || value.endsWith('/') || /\s/.test(value)) {
    throw fieldError(file, field, `is \`${value}\`, expected \`host[:port][/path]\` without scheme or trailing slash`);
  }
  return value;
}

function parseMirror(value: unknown, file: string, field: string): RegistryMirror {
  if (!isTable(value)) throw fieldError(file, field, `must be a table, got ${describe(value)}`);
  const location = optionalString(value, 'location', file, `${field}.location`);
  if (location === undefined) throw fieldError(file, `${field}.location`, 'is required');
  return { location: checkLocation(location, file, `${field}.location`), insecure: optionalBoolean(value, 'insecure', file, `${field}.insecure`) };
}

function parseEntry(value: unknown, file: string, field: string): RegistryEntry {
  if (!isTable(value)) throw fieldError(file, field, `must be a table, got ${describe(value)}`);
  const location = optionalString(value, 'location', file, `${field}.location`);
  const prefix = optionalString(value, 'prefix', file, `${field}.prefix`) ?? location;
  if (prefix === undefined || prefix === '') throw fieldError(file, `${field}.prefix`, 'or `location` is required');
  const wildcard = prefix.startsWith('*.');
  if (wildcard && location !== undefined) throw fieldError(file, `${field}.location`, `must be empty for the wildcard prefix \`${prefix}\``);
  if (!wildcard) checkLocation(prefix, file, `${field}.prefix`);
  const mirrorsValue = value['mirror'] ?? [];
  if (!Array.isArray(mirrorsValue)) throw fieldError(file, `${field}.mirror`, `must be an array of tables ([[registry.mirror]]), got ${describe(mirrorsValue)}`);
  return {
    prefix,
    location: location === undefined ? prefix : checkLocation(location, file, `${field}.location`),
    insecure: optionalBoolean(value, 'insecure', file, `${field}.insecure`),
    blocked: optionalBoolean(value, 'blocked', file, `${field}.blocked`),
    mirrorByDigestOnly: optionalBoolean(value, 'mirror-by-digest-only', file, `${field}.mirror-by-digest-only`),
    mirrors: mirrorsValue.map((m, i) => parseMirror(m, file, `${field}.mirror[${i}]`)),
    file,
  };
}

/** Parses one file's text; `file` names it in errors. */
export function parseRegistriesConf(text: string, file: string): RegistryEntry[] {
  let document: Table;
  try {
    document = parseToml(text) as Table;
  } catch (err) {
    const detail = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new PodstageError('ERR_PODSTAGE_USAGE', `registries configuration \`${file}\`: not valid TOML (${detail})`, { cause: err });
  }
  if (document['registries'] !== undefined) {
    throw fieldError(file, 'registries', 'belongs to the version 1 format, expected version 2 (`[[registry]]` tables)');
  }
  const registries = document['registry'] ?? [];
  if (!Array.isArray(registries)) throw fieldError(file, 'registry', `must be an array of tables ([[registry]]), got ${describe(registries)}`);
  return registries.map((entry, i) => parseEntry(entry, file, `registry[${i}]`));
}

/** Does `prefix` cover `key` (`host/repository`) at a path-component boundary? */
function prefixMatches(prefix: string, key: string): boolean {
  if (prefix.startsWith('*.')) {
    const host = key.slice(0, key.indexOf('/'));
    return host.endsWith(prefix.slice(1));
  }
  return key === prefix || key.startsWith(`${prefix}/`);
}

function splitLocation(location: string): { host: string; repository: string } {
  const slash = location.indexOf('/');
  return slash < 0 ? { host: location, repository: '' } : { host: location.slice(0, slash), repository: location.slice(slash + 1) };
}

function endpointAt(location: string, suffix: string, insecure: boolean, mirror: boolean, entry: RegistryEntry): RegistryEndpoint {
  const { host, repository } = splitLocation(location + suffix);
  if (repository === '') {
    throw fieldError(entry.file, 'location', `\`${location}\` of prefix \`${entry.prefix}\` leaves no repository path, expected \`host[:port]/path\` when the prefix names a repository`);
  }
  return { host: apiHost(host), repository, insecure, mirror };
}

export class RegistriesConf {
  readonly #entries: RegistryEntry[];

  constructor(entries: RegistryEntry[] = []) {
    this.#entries = entries;
  }

  /** Reads `files` in order (missing ones are skipped); later entries replace earlier ones with the same prefix. */
  static load(files: readonly string[]): RegistriesConf {
    const byPrefix = new Map<string, RegistryEntry>();
    for (const file of files) {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw new PodstageError('ERR_PODSTAGE_USAGE', `registries configuration \`${file}\`: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { cause: err });
      }
      for (const entry of parseRegistriesConf(text, file)) byPrefix.set(entry.prefix, entry);
    }
    return new RegistriesConf([...byPrefix.values()]);
  }

  get entries(): readonly RegistryEntry[] {
    return this.#entries;
  }

  /** The entry with the longest prefix covering the reference, if any. */
  entryFor(ref: DockerReference): RegistryEntry | undefined {
    const key = `${canonicalRegistry(ref.registry)}/${ref.repository}`;
    let best: RegistryEntry | undefined;
    for (const entry of this.#entries) {
      if (!prefixMatches(entry.prefix, key)) continue;
      if (best === undefined || entry.prefix.length > best.prefix.length) best = entry;
    }
    return best;
  }

  /** Mirrors first, then the (possibly rewritten) original location. */
  endpointsFor(ref: DockerReference): RegistryEndpoint[] {
    const entry = this.entryFor(ref);
    const registry = canonicalRegistry(ref.registry);
    if (entry === undefined) return [{ host: apiHost(registry), repository: ref.repository, insecure: false, mirror: false }];
    if (entry.blocked) {
      throw new PodstageError('ERR_PODSTAGE_REGISTRY', `image reference \`docker://${ref.name}\` is blocked by prefix \`${entry.prefix}\` in \`${entry.file}\``, {
        hint: 'pull from another registry or remove `blocked = true` from that entry',
      });
    }
    const key = `${registry}/${ref.repository}`;
    if (entry.prefix.startsWith('*.')) {
      return [
        ...entry.mirrors.map((m) => endpointAt(m.location, `/${ref.repository}`, m.insecure, true, entry)),
        { host: apiHost(registry), repository: ref.repository, insecure: entry.insecure, mirror: false },
      ];
    }
    const suffix = key.slice(entry.prefix.length);
    const useMirrors = !entry.mirrorByDigestOnly || ref.digest !== undefined;
    return [
      ...(useMirrors ? entry.mirrors.map((m) => endpointAt(m.location, suffix, m.insecure, true, entry)) : []),
      endpointAt(entry.location, suffix, entry.insecure, false, entry),
    ];
  }
}
