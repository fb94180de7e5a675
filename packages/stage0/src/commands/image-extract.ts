import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PodstageError } from '@podstage/contract';
import type { Command } from '../cli/command.js';
import { openStore } from '../cli/context.js';

/** rkt's image extract/render: OCI images have no dependencies, so both give the same tree. */
export const command: Command = {
  name: 'image extract',
  summary: "Render an image's root filesystem into DIR (DIR/rootfs plus DIR/manifest.json and DIR/config.json; --rootfs-only for the tree alone).",
  usage: 'image extract [--rootfs-only] [--overwrite] IMAGE DIR',
  options: {
    'rootfs-only': { type: 'boolean', description: 'write the root filesystem directly into DIR' },
    overwrite: { type: 'boolean', description: 'allow a non-empty DIR' },
  },
  async run({ global, values, positionals }) {
    if (positionals.length !== 2) throw new PodstageError('ERR_PODSTAGE_USAGE', `${this.name} takes an image and a directory`);
    const [ref, dir] = positionals as [string, string];
    if (existsSync(dir) && readdirSync(dir).length > 0 && values.overwrite !== true) {
      throw new PodstageError('ERR_PODSTAGE_USAGE', `${dir} is not empty; pass --overwrite to render into it`);
    }
    const store = await openStore(global);
    const record = store.resolve(ref);
    const rootfs = values['rootfs-only'] === true ? dir : join(dir, 'rootfs');
    mkdirSync(rootfs, { recursive: true });
    const { renderLayers } = await import('../image/render.js');
    const { warnings } = await renderLayers(record.layers.map((l) => ({ path: store.blobPath(l.digest), mediaType: l.mediaType })), rootfs);
    if (values['rootfs-only'] !== true) {
      const { readFileSync } = await import('node:fs');
      writeFileSync(join(dir, 'manifest.json'), readFileSync(store.blobPath(record.id)));
      writeFileSync(join(dir, 'config.json'), readFileSync(store.blobPath(record.configDigest)));
    }
    for (const w of warnings) process.stderr.write(`podstage ${this.name}: ${w}\n`);
    return 0;
  },
};
