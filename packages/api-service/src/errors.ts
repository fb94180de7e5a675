/** Failures as gRPC statuses: what is not there is NOT_FOUND, a bad request INVALID_ARGUMENT, the rest INTERNAL. */
import { Metadata, status } from '@grpc/grpc-js';

export class ApiError extends Error {
  constructor(readonly code: status, message: string) {
    super(message);
  }
}

const BY_PODSTAGE_CODE: Record<string, status> = {
  ERR_PODSTAGE_POD_NOT_FOUND: status.NOT_FOUND,
  ERR_PODSTAGE_IMAGE_NOT_FOUND: status.NOT_FOUND,
  ERR_PODSTAGE_APP_NOT_FOUND: status.NOT_FOUND,
  ERR_PODSTAGE_USAGE: status.INVALID_ARGUMENT,
};

export function apiStatus(err: unknown): object {
  if (err instanceof ApiError) return { code: err.code, details: err.message, metadata: new Metadata() };
  const e = err as { code?: string; message?: string };
  return { code: BY_PODSTAGE_CODE[e.code ?? ''] ?? status.INTERNAL, details: e.message ?? String(err), metadata: new Metadata() };
}
