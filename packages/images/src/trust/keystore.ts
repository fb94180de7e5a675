/**
 * Trusted keys, per image-name prefix, in rkt's layout under the config dir:
 *
 *   trustedkeys/root.d/<fingerprint>                      trusted for every image
 *   trustedkeys/prefix.d/<escaped prefix>/<fingerprint>   trusted for names under the prefix
 *
 * Each file holds one public key; its name is the key's fingerprint.
 */
import { mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PodstageError, syscallError } from '@podstage/contract/errors';
import { config } from '@podstage/contract/paths';
import { isErrno, writeFileAtomicSync } from '../image/fs-util.js';
import { FINGERPRINT_PATTERN, parsePublicKey, type KeyKind, type PublicKey } from './public-key.js';
import { repositoryOf } from './simple-signing.js';
import { nameFromRefFile, refFileName } from '../image/names.js';

export interface TrustedKey {
  fingerprint: string;
  kind: KeyKind;
  /** The image-name prefix the key is trusted for; undefined for a root key. */
  prefix: string | undefined;
  /** Root keys are trusted for every image name. */
  root: boolean;
  path: string;
  userIds: string[];
  publicKey: PublicKey;
}

export interface AddOptions {
  prefix?: string;
  root?: boolean;
  /** Names the key in error messages (the file it was read from). */
  source?: string;
}

const ROOT_DIR = 'root.d';
const PREFIX_DIR = 'prefix.d';
const MAX_FILE_NAME = 255;

/** A prefix is a name prefix on `/` boundaries: no empty, `.` or `..` segments, no whitespace. */
export function normalizePrefix(prefix: string): string {
  const trimmed = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  const segments = trimmed.split('/');
  if (trimmed === '' || /\s/.test(trimmed) || trimmed.includes('..') || segments.some((s) => s === '' || s === '.')) {
    throw new PodstageError('ERR_PODSTAGE_USAGE', `prefix ${JSON.stringify(prefix)}: expected an image name prefix like \`example.com/acme\` (no empty or \`..\` segments, no whitespace)`);
  }
  if (escapePrefix(trimmed).length > MAX_FILE_NAME) {
    throw new PodstageError('ERR_PODSTAGE_USAGE', `prefix ${JSON.stringify(prefix)}: expected at most ${MAX_FILE_NAME} characters once escaped`);
  }
  return trimmed;
}

/** One directory name per prefix, reversible: the same encoding as the store's image refs. */
export const escapePrefix = refFileName;
export const unescapePrefix = nameFromRefFile;

/** True when `prefix` names `imageName`'s repository or a `/`-bounded ancestor of it. */
export function prefixMatches(prefix: string, imageName: string): boolean {
  const repository = repositoryOf(imageName);
  return repository === prefix || repository.startsWith(`${prefix}/`);
}

function checkFingerprint(fingerprint: string): string {
  const normalized = fingerprint.toLowerCase();
  if (!FINGERPRINT_PATTERN.test(normalized)) {
    throw new PodstageError('ERR_PODSTAGE_USAGE', `fingerprint ${JSON.stringify(fingerprint)}: expected 40 or 64 hex digits (OpenPGP) or sha256:<64 hex digits> (PEM), as \`podstage trust list\` shows`);
  }
  return normalized;
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (err) {
    if (isErrno(err, 'ENOENT', 'ENOTDIR')) return [];
    throw syscallError('readdir', dir, (err as NodeJS.ErrnoException).code ?? String(err));
  }
}

export class Keystore {
  readonly dir: string;

  constructor(configDir: string) {
    this.dir = config.trustedKeys(configDir);
  }

  private scopeDir(prefix: string | undefined): string {
    return prefix === undefined ? join(this.dir, ROOT_DIR) : join(this.dir, PREFIX_DIR, escapePrefix(prefix));
  }

  /** Validates a public key and stores it for a prefix or as a root key; re-adding is a no-op. */
  async add(keyText: Buffer | string, options: AddOptions): Promise<TrustedKey> {
    const hasPrefix = options.prefix !== undefined;
    if (hasPrefix === (options.root === true)) {
      throw new PodstageError('ERR_PODSTAGE_USAGE', 'trusting a key: expected exactly one of a prefix or root');
    }
    const prefix = hasPrefix ? normalizePrefix(options.prefix as string) : undefined;
    const publicKey = await parsePublicKey(keyText, options.source ?? 'key');
    const dir = this.scopeDir(prefix);
    const path = join(dir, publicKey.fingerprint);
    try {
      mkdirSync(dir, { recursive: true, mode: 0o755 });
      writeFileAtomicSync(path, publicKey.canonicalText);
    } catch (err) {
      throw syscallError('write', path, (err as NodeJS.ErrnoException).code ?? String(err), 'trusting keys needs write access to the config directory (--config)');
    }
    return { fingerprint: publicKey.fingerprint, kind: publicKey.kind, prefix, root: prefix === undefined, path, userIds: publicKey.userIds, publicKey };
  }

  /** Every trusted key: root keys first, then by prefix. */
  async list(): Promise<TrustedKey[]> {
    const keys = await this.readScope(undefined);
    const prefixes = this.prefixes().sort();
    for (const prefix of prefixes) keys.push(...(await this.readScope(prefix)));
    return keys;
  }

  /** The keys trusted for an image name: those of matching prefixes (longest first), then root keys. */
  async keysFor(imageName: string): Promise<TrustedKey[]> {
    const matching = this.prefixes().filter((p) => prefixMatches(p, imageName)).sort((a, b) => b.length - a.length);
    const keys: TrustedKey[] = [];
    for (const prefix of matching) keys.push(...(await this.readScope(prefix)));
    keys.push(...(await this.readScope(undefined)));
    return keys;
  }

  /**
   * Removes a key from one prefix, or when no prefix is given from everywhere
   * it is trusted. Returns what was removed.
   */
  async remove(fingerprint: string, options: { prefix?: string } = {}): Promise<TrustedKey[]> {
    const fp = checkFingerprint(fingerprint);
    const prefix = options.prefix === undefined ? undefined : normalizePrefix(options.prefix);
    const candidates = prefix === undefined ? await this.list() : await this.readScope(prefix);
    const found = candidates.filter((k) => k.fingerprint === fp);
    if (found.length === 0) {
      const where = prefix === undefined ? '' : ` for prefix ${JSON.stringify(prefix)}`;
      throw new PodstageError('ERR_PODSTAGE_TRUST', `key ${fp}: not trusted${where}`, { hint: 'see `podstage trust list`' });
    }
    for (const key of found) {
      try {
        rmSync(key.path);
      } catch (err) {
        throw syscallError('unlink', key.path, (err as NodeJS.ErrnoException).code ?? String(err));
      }
      if (key.prefix !== undefined) this.removeIfEmpty(this.scopeDir(key.prefix));
    }
    return found;
  }

  private removeIfEmpty(dir: string): void {
    try {
      rmdirSync(dir);
    } catch {
      // Not empty (or already gone): leave it.
    }
  }

  private prefixes(): string[] {
    return listDir(join(this.dir, PREFIX_DIR)).flatMap((name) => {
      const prefix = unescapePrefix(name);
      return prefix === undefined ? [] : [prefix];
    });
  }

  private async readScope(prefix: string | undefined): Promise<TrustedKey[]> {
    const dir = this.scopeDir(prefix);
    const keys: TrustedKey[] = [];
    // Other names (our `.…tmp` files, editor backups) are not keys.
    for (const name of listDir(dir).filter((n) => FINGERPRINT_PATTERN.test(n)).sort()) {
      const path = join(dir, name);
      let text: Buffer;
      try {
        text = readFileSync(path);
      } catch (err) {
        if (isErrno(err, 'ENOENT')) continue;
        throw syscallError('read', path, (err as NodeJS.ErrnoException).code ?? String(err));
      }
      const publicKey = await parsePublicKey(text, path);
      if (publicKey.fingerprint !== name) {
        throw new PodstageError('ERR_PODSTAGE_TRUST', `key file \`${path}\`: expected the key with fingerprint ${name} (its file name), got ${publicKey.fingerprint}`, {
          hint: 'remove the file and trust the key again with `podstage trust`',
        });
      }
      keys.push({ fingerprint: name, kind: publicKey.kind, prefix, root: prefix === undefined, path, userIds: publicKey.userIds, publicKey });
    }
    return keys;
  }
}
