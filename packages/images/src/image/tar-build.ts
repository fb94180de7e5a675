/**
 * A deterministic in-memory tar writer for images we build ourselves: the
 * caller's entry order and fixed mtime, numeric owners, no user names, no
 * atime/ctime. Byte-identical output for identical input.
 */
import { Header } from 'tar';

export interface TarEntrySpec {
  path: string;
  type: 'File' | 'Directory' | 'SymbolicLink';
  mode: number;
  uid?: number;
  gid?: number;
  content?: Buffer;
  linkpath?: string;
}

const BLOCK = 512;

export function buildTar(entries: TarEntrySpec[], mtime: Date): Buffer {
  const chunks: Buffer[] = [];
  for (const entry of entries) {
    const content = entry.type === 'File' ? (entry.content ?? Buffer.alloc(0)) : Buffer.alloc(0);
    const header = new Header({
      path: entry.type === 'Directory' && !entry.path.endsWith('/') ? `${entry.path}/` : entry.path,
      type: entry.type,
      mode: entry.mode,
      uid: entry.uid ?? 0,
      gid: entry.gid ?? 0,
      size: content.length,
      mtime,
      ...(entry.linkpath === undefined ? {} : { linkpath: entry.linkpath }),
    });
    const block = Buffer.alloc(BLOCK);
    if (header.encode(block, 0)) throw new Error(`tar entry \`${entry.path}\`: needs a PAX header (path or link too long), expected a short ustar entry`);
    chunks.push(block, content);
    const padding = (BLOCK - (content.length % BLOCK)) % BLOCK;
    if (padding > 0) chunks.push(Buffer.alloc(padding));
  }
  chunks.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(chunks);
}
