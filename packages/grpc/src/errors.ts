/** podstage's error codes as gRPC status codes: the one table the CRI server and the API service answer failures with. */
import { Metadata, status } from '@grpc/grpc-js';
import type { ErrorCode } from '@podstage/contract';

const GRPC_STATUS: Record<ErrorCode, status> = {
  ERR_PODSTAGE_USAGE: status.INVALID_ARGUMENT,
  ERR_PODSTAGE_MANIFEST: status.INVALID_ARGUMENT,
  ERR_PODSTAGE_UNSAFE_PATH: status.INVALID_ARGUMENT,
  ERR_PODSTAGE_NETWORK_CONFIG: status.FAILED_PRECONDITION,
  ERR_PODSTAGE_IMAGE: status.INVALID_ARGUMENT,
  ERR_PODSTAGE_IMAGE_NOT_FOUND: status.NOT_FOUND,
  ERR_PODSTAGE_POD_NOT_FOUND: status.NOT_FOUND,
  ERR_PODSTAGE_APP_NOT_FOUND: status.NOT_FOUND,
  ERR_PODSTAGE_APP_EXISTS: status.ALREADY_EXISTS,
  ERR_PODSTAGE_POD_STATE: status.FAILED_PRECONDITION,
  ERR_PODSTAGE_POD_LOCKED: status.UNAVAILABLE,
  ERR_PODSTAGE_DIGEST: status.DATA_LOSS,
  ERR_PODSTAGE_SIGNATURE: status.PERMISSION_DENIED,
  ERR_PODSTAGE_TRUST: status.PERMISSION_DENIED,
  ERR_PODSTAGE_REGISTRY: status.UNAVAILABLE,
  ERR_PODSTAGE_UNSUPPORTED: status.UNIMPLEMENTED,
  ERR_PODSTAGE_STAGE1: status.INTERNAL,
  ERR_PODSTAGE_SYSCALL: status.INTERNAL,
  ERR_PODSTAGE_HOST: status.FAILED_PRECONDITION,
  ERR_PODSTAGE_NETWORK: status.INTERNAL,
};

/** A failure a server raises itself: a gRPC code and a message naming the field. */
export class GrpcError extends Error {
  constructor(readonly code: status, message: string) {
    super(message);
  }
}

/** Any thrown error as the status a call ends with; a PodstageError's hint goes into the details. */
export function toStatus(err: unknown): { code: status; details: string; metadata: Metadata } {
  if (err instanceof GrpcError) return { code: err.code, details: err.message, metadata: new Metadata() };
  const e = err as { code?: string; message?: string; hint?: string };
  const code = e.code !== undefined && e.code in GRPC_STATUS ? GRPC_STATUS[e.code as ErrorCode] : status.INTERNAL;
  return { code, details: `${e.message ?? String(err)}${e.hint ? `; ${e.hint}` : ''}`, metadata: new Metadata() };
}
