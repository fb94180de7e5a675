/**
 * Applies one layer's tar entries to a rootfs with overlay semantics, never
 * writing outside it. Every host path comes from `secureJoin(root, …)`, so
 * symlinks already in the tree (absolute or relative) are resolved inside
 * root; the entry's own final component is never followed (it is replaced).
 * Entries whose path or hard-link target climbs above root lexically are
 * refused: no honest image has them.
 *
 * All fs calls are sync: node-tar emits an entry's data synchronously, and
 * the next entry only after this one ended, so entries apply strictly in
 * archive order.
 *
 * Device nodes are skipped with a warning: stage1 provides /dev, and a device
 * node inside a stored tree is a standing way around the device cgroup.
 * FIFOs are created with `mkfifo` (coreutils, argv only).
 */
import {
  chmodSync,
  closeSync,
  constants,
  fchmodSync,
  fchownSync,
  futimesSync,
  lchownSync,
  linkSync,
  lutimesSync,
  mkdirSync,
  openSync,
  readdirSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { execaSync } from 'execa';
import type { ReadEntry } from 'tar';
import { PodstageError } from '@podstage/contract/errors';
import { secureJoin } from '@podstage/linux';
import { entryPathParts, lstatOrUndefined, unsafe } from './render-paths.js';

const WHITEOUT_PREFIX = '.wh.';
const OPAQUE_MARKER = '.wh..wh..opq';
const CAN_CHOWN = process.getuid?.() === 0;
const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

export class LayerApplier {
  /** Host paths this layer created: whiteouts and opaque dirs only hide lower layers. */
  readonly #written = new Set<string>();
  /** Directory mtimes are set last: adding children would bump them again. */
  readonly #directoryTimes: { rel: string; atime: Date; mtime: Date }[] = [];
  /** The regular file whose data is streaming in, if any. */
  #openFile: number | undefined;

  constructor(
    private readonly root: string,
    private readonly what: string,
    private readonly warnings: string[],
  ) {}

  #inside(hostPath: string): string {
    const rel = relative(this.root, hostPath);
    if (rel === '..' || rel.startsWith(`..${sep}`) || rel.startsWith(sep)) {
      throw unsafe(`${this.what}: \`${hostPath}\` resolved outside the rootfs \`${this.root}\``);
    }
    return hostPath;
  }

  #resolve(parts: string[], followFinal: boolean): string {
    return this.#inside(secureJoin(this.root, parts.join('/'), { followFinal }));
  }

  /** mkdir -p inside root; a non-directory in the way is replaced, as a lower-layer file would be. */
  #ensureDirectory(hostDir: string): void {
    let current = this.root;
    for (const component of relative(this.root, hostDir).split(sep).filter((c) => c !== '')) {
      current = join(current, component);
      const stat = lstatOrUndefined(current);
      if (stat?.isDirectory()) continue;
      if (stat?.isSymbolicLink()) throw unsafe(`${this.what}: \`${current}\` became a symlink while resolving, expected a directory`);
      if (stat !== undefined) unlinkSync(current);
      mkdirSync(current, 0o755);
      this.#written.add(current);
    }
  }

  #removeExisting(hostPath: string): void {
    const stat = lstatOrUndefined(hostPath);
    if (stat === undefined) return;
    if (stat.isDirectory()) rmSync(hostPath, { recursive: true, force: true });
    else unlinkSync(hostPath);
  }

  #chown(hostPath: string, entry: ReadEntry): void {
    if (CAN_CHOWN) lchownSync(hostPath, entry.uid ?? 0, entry.gid ?? 0);
  }

  /** Returns true when the caller must not resume the entry (it consumes the data itself). */
  apply(entry: ReadEntry, fail: (err: unknown) => void): boolean {
    const parts = entryPathParts(entry.path, this.what);
    const name = parts.at(-1);
    if (name === undefined) {
      // `./` itself: keep the rootfs directory, take its owner and mode.
      if (entry.type === 'Directory') this.#setDirectoryMetadata(this.root, [], entry);
      return false;
    }
    if (name.startsWith(WHITEOUT_PREFIX)) {
      this.#whiteout(parts, name);
      return false;
    }
    const hostPath = this.#resolve(parts, false);
    this.#ensureDirectory(dirname(hostPath));
    switch (entry.type) {
      case 'Directory':
        this.#directory(hostPath, parts, entry);
        return false;
      case 'File':
      case 'OldFile':
      case 'ContiguousFile':
        this.#file(hostPath, entry, fail);
        return true;
      case 'SymbolicLink':
        this.#symlink(hostPath, entry);
        return false;
      case 'Link':
        this.#hardLink(hostPath, entry);
        return false;
      case 'FIFO':
        this.#fifo(hostPath, entry);
        return false;
      case 'CharacterDevice':
      case 'BlockDevice':
        this.warnings.push(`${this.what}: skipped device node \`${entry.path}\` (stage1 provides /dev)`);
        return false;
      default:
        this.warnings.push(`${this.what}: skipped \`${entry.path}\` of unsupported tar entry type ${entry.type}`);
        return false;
    }
  }

  #setDirectoryMetadata(hostPath: string, parts: string[], entry: ReadEntry): void {
    this.#chown(hostPath, entry);
    chmodSync(hostPath, (entry.mode ?? 0o755) & 0o7777);
    if (entry.mtime !== undefined) this.#directoryTimes.push({ rel: parts.join('/'), atime: entry.atime ?? entry.mtime, mtime: entry.mtime });
  }

  #directory(hostPath: string, parts: string[], entry: ReadEntry): void {
    const stat = lstatOrUndefined(hostPath);
    if (stat !== undefined && !stat.isDirectory()) unlinkSync(hostPath);
    if (stat === undefined || !stat.isDirectory()) mkdirSync(hostPath, 0o700);
    this.#written.add(hostPath);
    this.#setDirectoryMetadata(hostPath, parts, entry);
  }

  #file(hostPath: string, entry: ReadEntry, fail: (err: unknown) => void): void {
    this.#removeExisting(hostPath);
    const fd = openSync(hostPath, CREATE_FLAGS, 0o600);
    this.#openFile = fd;
    this.#written.add(hostPath);
    // Once closed, the fd number may be reused by anyone: never touch it again.
    const close = () => {
      if (this.#openFile === fd) closeSync(fd);
      this.#openFile = undefined;
    };
    entry.on('data', (chunk: Buffer) => {
      if (this.#openFile !== fd) return;
      try {
        for (let offset = 0; offset < chunk.length; ) offset += writeSync(fd, chunk, offset, chunk.length - offset);
      } catch (err) {
        close();
        fail(err);
      }
    });
    entry.on('end', () => {
      if (this.#openFile !== fd) return;
      try {
        if (CAN_CHOWN) fchownSync(fd, entry.uid ?? 0, entry.gid ?? 0);
        // After chown, which clears setuid/setgid.
        fchmodSync(fd, (entry.mode ?? 0o644) & 0o7777);
        if (entry.mtime !== undefined) futimesSync(fd, entry.atime ?? entry.mtime, entry.mtime);
        close();
      } catch (err) {
        close();
        fail(err);
      }
    });
  }

  /** After a failure elsewhere (input, parser): release the file being written, if any. */
  abort(): void {
    if (this.#openFile !== undefined) closeSync(this.#openFile);
    this.#openFile = undefined;
  }

  #symlink(hostPath: string, entry: ReadEntry): void {
    this.#removeExisting(hostPath);
    // The target is stored as text, absolute or not; it is only ever followed via secureJoin.
    symlinkSync(entry.linkpath ?? '', hostPath);
    this.#written.add(hostPath);
    this.#chown(hostPath, entry);
    if (entry.mtime !== undefined) lutimesSync(hostPath, entry.atime ?? entry.mtime, entry.mtime);
  }

  #hardLink(hostPath: string, entry: ReadEntry): void {
    const linkpath = entry.linkpath ?? '';
    const target = this.#resolve(entryPathParts(linkpath, `${this.what}: hard link \`${entry.path}\``), false);
    const stat = lstatOrUndefined(target);
    if (stat === undefined || stat.isDirectory()) {
      throw new PodstageError(
        'ERR_PODSTAGE_IMAGE',
        `${this.what}: hard link \`${entry.path}\` → \`${linkpath}\`: expected an existing non-directory inside the rootfs, found ${stat === undefined ? 'nothing' : 'a directory'} at \`${target}\``,
      );
    }
    if (target === hostPath) return;
    this.#removeExisting(hostPath);
    linkSync(target, hostPath);
    this.#written.add(hostPath);
  }

  #fifo(hostPath: string, entry: ReadEntry): void {
    this.#removeExisting(hostPath);
    execaSync('mkfifo', ['-m', '600', '--', hostPath]);
    this.#written.add(hostPath);
    this.#chown(hostPath, entry);
    chmodSync(hostPath, (entry.mode ?? 0o644) & 0o7777);
  }

  #whiteout(parts: string[], name: string): void {
    const parent = this.#resolve(parts.slice(0, -1), true);
    if (name === OPAQUE_MARKER) {
      if (lstatOrUndefined(parent)?.isDirectory()) this.#clearLowerContent(parent);
      return;
    }
    const victim = name.slice(WHITEOUT_PREFIX.length);
    if (victim.startsWith(WHITEOUT_PREFIX)) {
      // Other `.wh..wh.` metadata (aufs hard-link dirs): nothing to hide.
      this.warnings.push(`${this.what}: ignored whiteout metadata \`${parts.join('/')}\``);
      return;
    }
    if (victim === '' || victim === '.' || victim === '..') {
      throw unsafe(`${this.what}: whiteout \`${parts.join('/')}\` names no file, expected \`.wh.<name>\``);
    }
    const target = this.#inside(join(parent, victim));
    // A whiteout only hides lower layers, never its own layer's files.
    if (this.#written.has(target)) return;
    rmSync(target, { recursive: true, force: true });
  }

  /** Opaque directory: remove what lower layers put there, keep this layer's entries. */
  #clearLowerContent(dir: string): void {
    for (const child of readdirSync(dir)) {
      const path = join(dir, child);
      if (!this.#written.has(path)) rmSync(path, { recursive: true, force: true });
      else if (lstatOrUndefined(path)?.isDirectory()) this.#clearLowerContent(path);
    }
  }

  /** Deferred directory mtimes, re-resolved: a later entry may have replaced a parent. */
  finish(): void {
    for (const { rel, atime, mtime } of this.#directoryTimes.reverse()) {
      const hostPath = this.#resolve(rel === '' ? [] : rel.split('/'), false);
      if (lstatOrUndefined(hostPath)?.isDirectory()) lutimesSync(hostPath, atime, mtime);
    }
  }
}
