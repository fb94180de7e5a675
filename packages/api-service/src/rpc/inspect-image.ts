import { status } from '@grpc/grpc-js';
import type { ApiContext } from '../context.js';
import { GrpcError } from '@podstage/grpc';
import { apiImage } from '../images.js';

/** By id (with or without `sha256:`) or name. */
export async function InspectImage(ctx: ApiContext, req: { id: string }) {
  if (req.id === '') throw new GrpcError(status.INVALID_ARGUMENT, 'id: expected an image id or name');
  const record = ctx.store.list().find((r) => r.id === req.id || r.id === `sha256:${req.id}`) ?? ctx.store.resolve(req.id);
  return { image: apiImage(ctx.store, record, true) };
}
