import { status } from '@grpc/grpc-js';
import { fetchImage } from '@podstage/images';
import { GrpcError } from '@podstage/grpc';
import type { Rpc } from './types.js';

interface AuthConfig { username: string; password: string; auth: string; identity_token: string; registry_token: string }

/** Pulled from its registry (mirrors and the trust policy apply as for `podstage fetch`); the answer is the image id. */
export const PullImage: Rpc = async (ctx, req: { image: { image: string } | null; auth: AuthConfig | null }) => {
  const ref = req.image?.image ?? '';
  if (ref === '') throw new GrpcError(status.INVALID_ARGUMENT, 'image.image: expected an image reference');
  const a = req.auth;
  if (a !== null && (a.username !== '' || a.password !== '' || a.auth !== '' || a.identity_token !== '' || a.registry_token !== '')) {
    throw new GrpcError(status.UNIMPLEMENTED, 'auth: credentials in the request are not supported yet; give the server an auth file');
  }
  const record = await fetchImage(ctx.store, `docker://${ref}`, { ...ctx.fetch, pullPolicy: 'update' });
  return { image_ref: record.id };
};
