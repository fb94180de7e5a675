/**
 * A raw ustar writer for tests: it writes exactly the header we ask for,
 * including entries node-tar's create would refuse (`../x`, `/abs`, links
 * pointing anywhere), so malicious layers can be built on purpose.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

export type RawEntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo';

export interface RawEntry {
  path: string;
  type?: RawEntryType;
  content?: string | Buffer;
  linkname?: string;
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: number;
}

const TYPE_FLAG: Record<RawEntryType, string> = { file: '0', hardlink: '1', symlink: '2', char: '3', block: '4', dir: '5', fifo: '6' };
const BLOCK = 512;

function writeString(block: Buffer, offset: number, length: number, value: string): void {
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length > length) throw new Error(`tar-writer: \`${value}\` does not fit in ${length} bytes`);
  bytes.copy(block, offset);
}

function writeOctal(block: Buffer, offset: number, length: number, value: number): void {
  writeString(block, offset, length, value.toString(8).padStart(length - 1, '0') + '\0');
}

export function rawHeader(entry: RawEntry, size: number): Buffer {
  const type = entry.type ?? 'file';
  const block = Buffer.alloc(BLOCK);
  writeString(block, 0, 100, entry.path);
  writeOctal(block, 100, 8, entry.mode ?? (type === 'dir' ? 0o755 : 0o644));
  writeOctal(block, 108, 8, entry.uid ?? 0);
  writeOctal(block, 116, 8, entry.gid ?? 0);
  writeOctal(block, 124, 12, size);
  writeOctal(block, 136, 12, entry.mtime ?? 1_700_000_000);
  block.fill(0x20, 148, 156);
  writeString(block, 156, 1, TYPE_FLAG[type]);
  writeString(block, 157, 100, entry.linkname ?? '');
  writeString(block, 257, 6, 'ustar\0');
  writeString(block, 263, 2, '00');
  let sum = 0;
  for (const byte of block) sum += byte;
  writeString(block, 148, 8, sum.toString(8).padStart(6, '0') + '\0 ');
  return block;
}

export function rawTar(entries: RawEntry[]): Buffer {
  const chunks: Buffer[] = [];
  for (const entry of entries) {
    const content = entry.content === undefined ? Buffer.alloc(0) : Buffer.from(entry.content);
    chunks.push(rawHeader(entry, content.length), content, Buffer.alloc((BLOCK - (content.length % BLOCK)) % BLOCK));
  }
  chunks.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(chunks);
}

export const TAR_LAYER = 'application/vnd.oci.image.layer.v1.tar';
export const TAR_GZIP_LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';

/** Writes a layer file and returns what renderLayers takes. */
export function writeLayer(dir: string, name: string, entries: RawEntry[], options: { gzip?: boolean } = {}): { path: string; mediaType: string } {
  const tar = rawTar(entries);
  const path = join(dir, name);
  writeFileSync(path, options.gzip ? gzipSync(tar) : tar);
  return { path, mediaType: options.gzip ? TAR_GZIP_LAYER : TAR_LAYER };
}
