/**
 * The embedded default image: Debian's busybox-static plus a minimal /etc,
 * written as an OCI image layout. Deterministic (fixed mtimes, sorted
 * entries, no user names), so the image id only changes with busybox.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { execa } from 'execa';
import { PodstageError } from '@podstage/contract/errors';
import { parseDigest, sha256Digest } from './digest.js';
import { MEDIA_TYPE } from './media-types.js';
import { hostPlatform, REF_NAME_ANNOTATION } from './oci-types.js';
import { buildTar, type TarEntrySpec } from './tar-build.js';

export const DEFAULT_IMAGE_NAME = 'podstage.io/default:latest';
export const DEFAULT_BUSYBOX = '/bin/busybox';
const DEFAULT_IMAGE_TAG = 'latest';
const FIXED_TIME = new Date(0);
const FIXED_CREATED = FIXED_TIME.toISOString();
const PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const PODSTAGE_UID = 1000;
/** Applet links go here only (busybox also lists e.g. `/linuxrc`). */
const APPLET_DIRS = ['bin', 'sbin', 'usr/bin', 'usr/sbin'];

export interface DefaultImageLayout {
  layoutDir: string;
  /** Manifest digest: the image id once imported. */
  manifestDigest: string;
}

const ETC_PASSWD = [
  'root:x:0:0:root:/root:/bin/sh',
  'nobody:x:65534:65534:nobody:/nonexistent:/bin/false',
  `podstage:x:${PODSTAGE_UID}:${PODSTAGE_UID}::/home/podstage:/bin/sh`,
];
const ETC_GROUP = ['root:x:0:', 'users:x:100:', 'nogroup:x:65534:', `podstage:x:${PODSTAGE_UID}:`];
const ETC_HOSTS = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback'];

const lines = (l: string[]) => Buffer.from(l.join('\n') + '\n');

/** True when the ELF file has a PT_INTERP program header (needs a dynamic loader). */
function isDynamicallyLinked(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const header = Buffer.alloc(64);
    readSync(fd, header, 0, 64, 0);
    if (header.readUInt32BE(0) !== 0x7f454c46 || header[5] !== 1) return true; // not a little-endian ELF: not usable
    const is64 = header[4] === 2;
    const phoff = is64 ? Number(header.readBigUInt64LE(0x20)) : header.readUInt32LE(0x1c);
    const phentsize = header.readUInt16LE(is64 ? 0x36 : 0x2a);
    const phnum = header.readUInt16LE(is64 ? 0x38 : 0x2c);
    const programHeaders = Buffer.alloc(phentsize * phnum);
    readSync(fd, programHeaders, 0, programHeaders.length, phoff);
    const PT_INTERP = 3;
    for (let i = 0; i < phnum; i++) if (programHeaders.readUInt32LE(i * phentsize) === PT_INTERP) return true;
    return false;
  } finally {
    closeSync(fd);
  }
}

function checkBusybox(busybox: string): void {
  const hint = 'apt-get install busybox-static';
  if (!existsSync(busybox)) {
    throw new PodstageError('ERR_PODSTAGE_HOST', `default image: \`${busybox}\` not found, expected a static busybox`, { hint });
  }
  if (isDynamicallyLinked(busybox)) {
    throw new PodstageError('ERR_PODSTAGE_HOST', `default image: \`${busybox}\` is dynamically linked, expected a static busybox`, { hint });
  }
}

async function appletPaths(busybox: string): Promise<string[]> {
  const { stdout } = await execa(busybox, ['--list-full']);
  return stdout
    .split('\n')
    .map((line) => line.trim().replace(/^\/+/, ''))
    .filter((line) => APPLET_DIRS.some((dir) => line.startsWith(`${dir}/`) && !line.slice(dir.length + 1).includes('/')));
}

function rootfsEntries(busyboxBytes: Buffer, applets: string[]): TarEntrySpec[] {
  const entries = new Map<string, TarEntrySpec>();
  const dir = (path: string, mode = 0o755, uid = 0) => entries.set(path, { path, type: 'Directory', mode, uid, gid: uid });
  for (const path of ['bin', 'dev', 'etc', 'home', 'sbin', 'usr', 'usr/bin', 'usr/sbin']) dir(path);
  dir('home/podstage', 0o755, PODSTAGE_UID);
  dir('proc', 0o555);
  dir('sys', 0o555);
  dir('root', 0o700);
  dir('tmp', 0o1777);
  entries.set('bin/busybox', { path: 'bin/busybox', type: 'File', mode: 0o755, content: busyboxBytes });
  entries.set('etc/passwd', { path: 'etc/passwd', type: 'File', mode: 0o644, content: lines(ETC_PASSWD) });
  entries.set('etc/group', { path: 'etc/group', type: 'File', mode: 0o644, content: lines(ETC_GROUP) });
  entries.set('etc/hosts', { path: 'etc/hosts', type: 'File', mode: 0o644, content: lines(ETC_HOSTS) });
  for (const applet of applets) {
    if (entries.has(applet)) continue;
    entries.set(applet, { path: applet, type: 'SymbolicLink', mode: 0o777, linkpath: '/bin/busybox' });
  }
  // Sorted paths put every directory before its contents.
  return [...entries.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function writeBlob(layoutDir: string, data: Buffer): { digest: string; size: number } {
  const digest = sha256Digest(data);
  writeFileSync(join(layoutDir, 'blobs', 'sha256', parseDigest(digest).hex), data);
  return { digest, size: data.length };
}

export async function buildDefaultImageLayout(outDir: string, opts: { busybox?: string } = {}): Promise<DefaultImageLayout> {
  const busybox = opts.busybox ?? DEFAULT_BUSYBOX;
  checkBusybox(busybox);
  const busyboxBytes = readFileSync(busybox);
  const layerTar = buildTar(rootfsEntries(busyboxBytes, await appletPaths(busybox)), FIXED_TIME);

  mkdirSync(join(outDir, 'blobs', 'sha256'), { recursive: true });
  const layer = writeBlob(outDir, gzipSync(layerTar, { level: 9 }));
  const platform = hostPlatform();
  const config = {
    created: FIXED_CREATED,
    architecture: platform.architecture,
    os: platform.os,
    config: { Env: [PATH_ENV], Cmd: ['sh'], WorkingDir: '/' },
    rootfs: { type: 'layers', diff_ids: [sha256Digest(layerTar)] },
    history: [{ created: FIXED_CREATED, created_by: `podstage default image: busybox ${sha256Digest(busyboxBytes)}` }],
  };
  const configBlob = writeBlob(outDir, Buffer.from(JSON.stringify(config)));
  const manifest = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.ociManifest,
    config: { mediaType: MEDIA_TYPE.ociConfig, ...configBlob },
    layers: [{ mediaType: MEDIA_TYPE.ociLayerTarGzip, ...layer }],
  };
  const manifestBlob = writeBlob(outDir, Buffer.from(JSON.stringify(manifest)));
  const index = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE.ociIndex,
    manifests: [{ mediaType: MEDIA_TYPE.ociManifest, ...manifestBlob, platform, annotations: { [REF_NAME_ANNOTATION]: DEFAULT_IMAGE_TAG } }],
  };
  writeFileSync(join(outDir, 'index.json'), JSON.stringify(index));
  writeFileSync(join(outDir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  return { layoutDir: outDir, manifestDigest: manifestBlob.digest };
}
