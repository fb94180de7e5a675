/**
 * `importImage(store, 'oci:DIR[:REF]' | 'oci-archive:FILE[:REF]' |
 * 'docker-archive:FILE[:REF]')`. Archives are extracted into a private temp
 * directory of the store (removed afterwards, reaped by gcOrphans after a
 * crash); all blobs are staged and verified before any becomes visible.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { extract, type ReadEntry } from 'tar';
import { PodstageError } from '@podstage/contract/errors';
import { importDockerArchive } from './import-docker-archive.js';
import { importOciLayout } from './import-oci-layout.js';
import { normalizeImageName } from './names.js';
import type { ImageStore } from './store.js';
import type { ImageRecord } from './types.js';

export const TRANSPORTS = ['oci', 'oci-archive', 'docker-archive'] as const;
export type Transport = (typeof TRANSPORTS)[number];

export interface TransportRef {
  transport: Transport;
  path: string;
  ref: string | undefined;
}

export interface ImportOptions {
  /** Name for the image; default: the ref annotation (full names only) or the RepoTags. */
  name?: string;
}

/** `TRANSPORT:PATH[:REF]`; like containers/image, PATH ends at the first `:`. */
export function parseTransportRef(value: string): TransportRef {
  const colon = value.indexOf(':');
  const transport = value.slice(0, colon);
  if (colon < 0 || !(TRANSPORTS as readonly string[]).includes(transport)) {
    throw new PodstageError('ERR_PODSTAGE_USAGE', `image source \`${value}\`: expected ${TRANSPORTS.map((t) => `\`${t}:PATH[:REF]\``).join(', ')}`);
  }
  const rest = value.slice(colon + 1);
  const refColon = rest.indexOf(':');
  const path = refColon < 0 ? rest : rest.slice(0, refColon);
  const ref = refColon < 0 ? undefined : rest.slice(refColon + 1);
  if (path === '' || ref === '') {
    throw new PodstageError('ERR_PODSTAGE_USAGE', `image source \`${value}\`: expected a non-empty path${ref === '' ? ' and reference after the second `:`' : ''}`);
  }
  return { transport: transport as Transport, path, ref };
}

function isArchiveMember(entry: ReadEntry): boolean {
  return entry.type === 'File' || entry.type === 'OldFile' || entry.type === 'Directory' || entry.type === 'SymbolicLink';
}

/**
 * Extracts with node-tar in strict mode: `..` and absolute paths, writes
 * through symlinks and anything but files, directories and symlinks are
 * refused; symlinks are only ever followed through secureJoin afterwards.
 */
async function extractArchive(archivePath: string, into: string): Promise<void> {
  const refused: string[] = [];
  try {
    await extract({
      file: archivePath,
      cwd: into,
      strict: true,
      preserveOwner: false,
      filter: (path, entry) => {
        if ('type' in entry && isArchiveMember(entry as ReadEntry)) return true;
        refused.push(path);
        return false;
      },
    });
  } catch (err) {
    throw new PodstageError('ERR_PODSTAGE_IMAGE', `archive \`${archivePath}\`: ${(err as Error).message}, expected a plain tar of an image`, { cause: err });
  }
  if (refused.length > 0) {
    throw new PodstageError('ERR_PODSTAGE_UNSAFE_PATH', `archive \`${archivePath}\`: entries of unexpected types (${refused.slice(0, 5).join(', ')}), expected files, directories and symlinks only`);
  }
}

/** The layout root: the archive root, or its single top-level directory. */
function findLayoutRoot(dir: string, archivePath: string): string {
  if (existsSync(join(dir, 'oci-layout'))) return dir;
  const entries = readdirSync(dir);
  const only = entries.length === 1 && entries[0] !== undefined ? join(dir, entries[0]) : undefined;
  if (only !== undefined && statSync(only).isDirectory() && existsSync(join(only, 'oci-layout'))) return only;
  throw new PodstageError('ERR_PODSTAGE_IMAGE', `archive \`${archivePath}\`: no \`oci-layout\` file, expected a tar of an OCI image layout`);
}

function checkSourceExists(path: string, transport: Transport): void {
  if (!existsSync(path)) {
    const kind = transport === 'oci' ? 'directory' : 'file';
    throw new PodstageError('ERR_PODSTAGE_IMAGE', `${transport}: ${kind} \`${path}\` does not exist`);
  }
}

export async function importImage(store: ImageStore, transportRef: string, opts: ImportOptions = {}): Promise<ImageRecord> {
  const parsed = parseTransportRef(transportRef);
  if (opts.name !== undefined) normalizeImageName(opts.name);
  // A docker-archive REF is a name (it becomes the image's name when no --name is given).
  if (parsed.transport === 'docker-archive' && parsed.ref !== undefined) normalizeImageName(parsed.ref, `image source \`${transportRef}\` reference`);
  const path = resolve(parsed.path);
  checkSourceExists(path, parsed.transport);
  const source = `${parsed.transport}:${path}${parsed.ref === undefined ? '' : `:${parsed.ref}`}`;
  const staging = await store.beginStaging();
  let extracted: string | undefined;
  try {
    if (parsed.transport === 'oci') {
      return await importOciLayout(store, staging, { layoutDir: path, ref: parsed.ref, source, name: opts.name });
    }
    extracted = await store.makeTempDir('archive');
    await extractArchive(path, extracted);
    if (parsed.transport === 'oci-archive') {
      const layoutDir = findLayoutRoot(extracted, path);
      return await importOciLayout(store, staging, { layoutDir, ref: parsed.ref, source, name: opts.name });
    }
    return await importDockerArchive(store, staging, { archiveDir: extracted, ref: parsed.ref, source, name: opts.name });
  } finally {
    await staging.discard();
    if (extracted !== undefined) await rm(extracted, { recursive: true, force: true });
  }
}
