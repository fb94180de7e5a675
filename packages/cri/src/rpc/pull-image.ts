import { status } from '@grpc/grpc-js';
import { fetchImage, parseDockerReference } from '@podstage/images';
import { GrpcError } from '@podstage/grpc';
import type { Rpc } from './types.js';

interface AuthConfig { username: string; password: string; auth: string; server_address: string; identity_token: string; registry_token: string }

/**
 * The request's credentials (the kubelet's from an image pull secret or a credential
 * provider), for the image's registry, or `server_address` when given, and no other
 * host: a mirror never sees them. Searched before the node's auth files. An identity
 * token is traded at the registry's token realm (OAuth2 refresh grant), a registry
 * token sent to the registry as it is.
 */
function givenCredentials(a: AuthConfig | null, ref: string) {
  if (a === null) return undefined;
  const tokens = { ...(a.identity_token === '' ? {} : { identityToken: a.identity_token }), ...(a.registry_token === '' ? {} : { registryToken: a.registry_token }) };
  let username = a.username, password = a.password;
  if (a.auth !== '') {
    const decoded = Buffer.from(a.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) throw new GrpcError(status.INVALID_ARGUMENT, 'auth.auth: expected base64 of username:password');
    [username, password] = [decoded.slice(0, colon), decoded.slice(colon + 1)];
  }
  if (username === '' && password === '' && Object.keys(tokens).length === 0) return undefined;
  return { key: a.server_address !== '' ? a.server_address : parseDockerReference(ref).registry, credentials: { username, password, ...tokens } };
}

/** Pulled from its registry (mirrors and the trust policy apply as for `podstage fetch`); the answer is the image id. */
export const PullImage: Rpc = async (ctx, req: { image: { image: string } | null; auth: AuthConfig | null }, signal) => {
  const ref = req.image?.image ?? '';
  if (ref === '') throw new GrpcError(status.INVALID_ARGUMENT, 'image.image: expected an image reference');
  const given = givenCredentials(req.auth, ref);
  const record = await fetchImage(ctx.store, `docker://${ref}`, { ...ctx.fetch, pullPolicy: 'update', signal, ...(given === undefined ? {} : { givenCredentials: given }) });
  return { image_ref: record.id };
};
