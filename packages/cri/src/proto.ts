/**
 * The CRI runtime.v1 protocol (proto/api.proto, wire-identical to upstream's
 * api.proto), loaded once for the server and for clients (the tests, the bench).
 */
import { fileURLToPath } from 'node:url';
import type { ServiceClientConstructor } from '@grpc/grpc-js';
import { loadServices } from '@podstage/grpc';

export const PROTO_FILE = fileURLToPath(new URL('../proto/api.proto', import.meta.url));

export interface CriServices {
  RuntimeService: ServiceClientConstructor;
  ImageService: ServiceClientConstructor;
}

let loaded: CriServices | undefined;

export function criServices(): CriServices {
  if (loaded === undefined) {
    const v1 = loadServices(PROTO_FILE, 'runtime.v1');
    loaded = { RuntimeService: v1.RuntimeService!, ImageService: v1.ImageService! };
  }
  return loaded;
}
