import { removeImage } from '@podstage/runtime';
import { findImage } from '../images.js';
import type { Rpc } from './types.js';

/** Refused while a pod uses it; a missing image is no error. */
export const RemoveImage: Rpc = async (ctx, req: { image: { image: string } | null }) => {
  const found = findImage(ctx.store, req.image?.image ?? '');
  if (found !== undefined) await removeImage(ctx.dataDir, ctx.store, found.id);
  return {};
};
