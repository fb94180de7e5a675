import { criImage, findImage } from '../images.js';
import type { Rpc } from './types.js';

export const ListImages: Rpc = async (ctx, req: { filter: { image: { image: string } | null } | null }) => {
  const wanted = req.filter?.image?.image ?? '';
  if (wanted !== '') {
    const one = findImage(ctx.store, wanted);
    return { images: one === undefined ? [] : [criImage(ctx.store, one)] };
  }
  return { images: ctx.store.list().map((r) => criImage(ctx.store, r)) };
};
