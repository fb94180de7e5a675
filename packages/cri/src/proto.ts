/**
 * The CRI runtime.v1 protocol (proto/api.proto, wire-identical to upstream's
 * api.proto), loaded once for the server and for clients (the tests, the bench).
 */
import { fileURLToPath } from 'node:url';
import { loadPackageDefinition, type GrpcObject, type ServiceClientConstructor } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

export const PROTO_FILE = fileURLToPath(new URL('../proto/api.proto', import.meta.url));

/** Field names as in the .proto, int64 as decimal strings (nanosecond stamps exceed 2^53), enums by name. */
export const LOADER_OPTIONS = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true } as const;

export interface CriServices {
  RuntimeService: ServiceClientConstructor;
  ImageService: ServiceClientConstructor;
}

let loaded: CriServices | undefined;

export function criServices(): CriServices {
  if (loaded === undefined) {
    const v1 = ((loadPackageDefinition(loadSync(PROTO_FILE, LOADER_OPTIONS)).runtime as GrpcObject).v1 as GrpcObject);
    loaded = { RuntimeService: v1.RuntimeService as ServiceClientConstructor, ImageService: v1.ImageService as ServiceClientConstructor };
  }
  return loaded;
}
