import { criImage, findImage } from '../images.js';
import type { Rpc } from './types.js';

/** A missing image is an empty answer, not an error (the kubelet asks before pulling). */
export const ImageStatus: Rpc = async (ctx, req: { image: { image: string } | null }) => {
  const found = findImage(ctx.store, req.image?.image ?? '');
  return { image: found === undefined ? null : criImage(ctx.store, found), info: {} };
};
