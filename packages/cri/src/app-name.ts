import { createHash } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { GrpcError } from '@podstage/grpc';
import type { ContainerConfig } from './messages.js';

const APP_NAME = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const APP_NAME_MAX = 63;

/**
 * The app a container becomes. A Kubernetes container name is a DNS label, so it
 * is the app's name (a restart, attempt > 0, gets its own). Any other name the
 * CRI allows (critest's are 36 characters of UUID after a prefix, some in upper
 * case) becomes a readable part of it and a hash of name and attempt, within
 * the 63 characters of an app name; the record keeps the name as given.
 */
export function appName(config: ContainerConfig): string {
  const name = config.metadata?.name ?? '';
  if (name === '') throw new GrpcError(status.INVALID_ARGUMENT, 'config.metadata.name: expected the container\'s name');
  const attempt = config.metadata?.attempt ?? 0;
  const plain = attempt === 0 ? name : `${name}-attempt-${attempt}`;
  if (APP_NAME.test(plain) && plain.length <= APP_NAME_MAX) return plain;
  const hash = createHash('sha256').update(`${name}\0${attempt}`).digest('hex').slice(0, 12);
  const readable = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').slice(0, APP_NAME_MAX - hash.length - 1).replace(/^-+|-+$/g, '');
  return readable === '' ? `c-${hash}` : `${readable}-${hash}`;
}

/** The pod volume of an app's `i`th mount: its app's name in it while that fits an app name. */
export function volumeName(app: string, i: number): string {
  const plain = `cri-${app}-${i}`;
  return plain.length <= APP_NAME_MAX ? plain : `cri-${createHash('sha256').update(app).digest('hex').slice(0, 12)}-${i}`;
}
