import { isPodstageError } from '@podstage/contract';
import { removeImage } from '@podstage/runtime';
import { findImage } from '../images.js';
import type { Rpc } from './types.js';

/** Refused while a pod uses it; a missing image is no error, nor one a simultaneous RemoveImage took first. */
export const RemoveImage: Rpc = async (ctx, req: { image: { image: string } | null }) => {
  const found = findImage(ctx.store, req.image?.image ?? '');
  if (found === undefined) return {};
  try {
    await removeImage(ctx.dataDir, ctx.store, found.id);
  } catch (err) {
    if (!(isPodstageError(err) && err.code === 'ERR_PODSTAGE_IMAGE_NOT_FOUND')) throw err;
  }
  return {};
};
