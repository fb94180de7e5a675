import type { ApiContext } from '../context.js';
import { apiImage, imageMatches, type ImageFilter } from '../images.js';

export async function ListImages(ctx: ApiContext, req: { filters: ImageFilter[]; detail: boolean }) {
  const records = ctx.store.list().filter((r) => req.filters.length === 0 || req.filters.some((f) => imageMatches(r, f)));
  return { images: records.map((r) => apiImage(ctx.store, r, req.detail)) };
}
