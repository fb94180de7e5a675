/** Images of the store as v1alpha's Image message, and ImageFilter matching. */
import { readFileSync } from 'node:fs';
import type { ImageRecord, ImageStore } from '@podstage/images';

const seconds = (iso: string) => String(Math.floor(Date.parse(iso) / 1000));

/** `registry/repo:tag` → name `registry/repo`, version `tag`. */
function nameAndVersion(r: ImageRecord): { name: string; version: string } {
  const full = r.names[0] ?? '';
  const m = /^(.*?)(?::([^:/@]+))?(@sha256:[0-9a-f]+)?$/.exec(full);
  return { name: m?.[1] ?? full, version: m?.[2] ?? '' };
}

export function apiImage(store: ImageStore, r: ImageRecord, detail: boolean) {
  const docker = r.mediaType.includes('docker');
  return {
    base_format: { type: docker ? 'IMAGE_TYPE_DOCKER' : 'IMAGE_TYPE_OCI', version: docker ? '2.2' : '1.0' },
    id: r.id,
    ...nameAndVersion(r),
    import_timestamp: seconds(r.importedAt),
    manifest: detail ? readFileSync(store.blobPath(r.id)) : Buffer.alloc(0),
    size: String(r.size),
    annotations: [],
    labels: [],
  };
}

export interface ImageFilter {
  ids: string[]; prefixes: string[]; base_names: string[]; keywords: string[]; labels: unknown[];
  imported_after: string; imported_before: string; annotations: unknown[]; full_names: string[];
}

export function imageMatches(r: ImageRecord, f: ImageFilter): boolean {
  const any = <T>(wanted: T[], test: (w: T) => boolean) => wanted.length === 0 || wanted.some(test);
  const { name } = nameAndVersion(r);
  const imported = Number(seconds(r.importedAt));
  return any(f.ids, (id) => r.id === id || r.id === `sha256:${id}`)
    && any(f.prefixes, (p) => r.names.some((n) => n.startsWith(p)))
    && any(f.base_names, (b) => name === b)
    && any(f.keywords, (k) => r.names.some((n) => n.includes(k)))
    && any(f.full_names, (n) => r.names.includes(n))
    && (Number(f.imported_after) === 0 || imported > Number(f.imported_after))
    && (Number(f.imported_before) === 0 || imported < Number(f.imported_before))
    // podstage keeps neither labels nor annotations on images: a filter on them matches nothing.
    && f.labels.length === 0 && f.annotations.length === 0;
}
