import { lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PodstageError } from '@podstage/contract';
import type { Command } from '../cli/command.js';
import { openStore } from '../cli/context.js';

/**
 * Makes DIR an empty directory to render into: created when missing, emptied
 * with --overwrite. Nothing in DIR is ever followed: an earlier extract of an
 * untrusted image may have left symlinks there (DIR/rootfs -> elsewhere), so
 * DIR's entries are removed as they are (a link, not its target) and DIR
 * itself must not be a link.
 */
function prepareDestination(dir: string, overwrite: boolean): void {
  const stat = lstatSync(dir, { throwIfNoEntry: false });
  if (stat === undefined) {
    mkdirSync(dir, { recursive: true });
    return;
  }
  if (stat.isSymbolicLink()) {
    throw new PodstageError('ERR_PODSTAGE_USAGE', `${dir} is a symbolic link, expected a directory (a destination's symlinks are never followed)`, {
      hint: 'pass the directory itself',
    });
  }
  if (!stat.isDirectory()) throw new PodstageError('ERR_PODSTAGE_USAGE', `${dir} is not a directory, expected a directory to render into`);
  const entries = readdirSync(dir);
  if (entries.length === 0) return;
  if (!overwrite) throw new PodstageError('ERR_PODSTAGE_USAGE', `${dir} is not empty; pass --overwrite to render into it`);
  for (const entry of entries) rmSync(join(dir, entry), { recursive: true, force: true });
}

/** rkt's image extract/render: OCI images have no dependencies, so both give the same tree. */
export const command: Command = {
  name: 'image extract',
  summary: "Render an image's root filesystem into DIR (DIR/rootfs plus DIR/manifest.json and DIR/config.json; --rootfs-only for the tree alone).",
  usage: 'image extract [--rootfs-only] [--overwrite] IMAGE DIR',
  options: {
    'rootfs-only': { type: 'boolean', description: 'write the root filesystem directly into DIR' },
    overwrite: { type: 'boolean', description: 'empty a non-empty DIR first (its entries are removed, symlinks are not followed)' },
  },
  async run({ global, values, positionals }) {
    if (positionals.length !== 2) throw new PodstageError('ERR_PODSTAGE_USAGE', `${this.name} takes an image and a directory`);
    const [ref, dir] = positionals as [string, string];
    const store = await openStore(global);
    const record = store.resolve(ref);
    prepareDestination(dir, values.overwrite === true);
    const rootfsOnly = values['rootfs-only'] === true;
    const rootfs = rootfsOnly ? dir : join(dir, 'rootfs');
    // DIR is empty now: rootfs and the JSON files are created fresh ('wx'), never reached through a link.
    if (!rootfsOnly) mkdirSync(rootfs);
    const { renderLayers } = await import('@podstage/images/render');
    const { warnings } = await renderLayers(record.layers.map((l) => ({ path: store.blobPath(l.digest), mediaType: l.mediaType })), rootfs);
    if (!rootfsOnly) {
      writeFileSync(join(dir, 'manifest.json'), readFileSync(store.blobPath(record.id)), { flag: 'wx' });
      writeFileSync(join(dir, 'config.json'), readFileSync(store.blobPath(record.configDigest)), { flag: 'wx' });
    }
    for (const w of warnings) process.stderr.write(`podstage ${this.name}: ${w}\n`);
    return 0;
  },
};
