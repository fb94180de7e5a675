/** Test helpers: temp dirs and a snapshot of a directory tree to prove nothing changed. */
import { lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join, relative } from 'node:path';

export function tempDir(prefix: string): string {
  return mkdtempSync(`/tmp/podstage-${prefix}-`);
}

/** path → type, mode, size, mtime, nlink and content digest-ish, excluding `skip` subtrees. */
export function snapshot(dir: string, skip: string[] = []): Map<string, string> {
  const result = new Map<string, string>();
  const walk = (path: string) => {
    if (skip.includes(path)) return;
    const stat = lstatSync(path);
    const kind = stat.isDirectory() ? 'dir' : stat.isSymbolicLink() ? `link:${readlinkSync(path)}` : stat.isFile() ? `file:${readFileSync(path).toString('base64')}` : 'other';
    result.set(relative(dir, path) || '.', `${kind} mode=${stat.mode.toString(8)} nlink=${stat.nlink} mtime=${stat.mtimeMs} uid=${stat.uid}`);
    if (stat.isDirectory()) for (const child of readdirSync(path).sort()) walk(join(path, child));
  };
  walk(dir);
  return result;
}
