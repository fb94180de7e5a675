/** rkt's v1alpha PublicAPI (proto/api.proto, wire-identical to rkt's api/v1alpha/api.proto). */
import { fileURLToPath } from 'node:url';
import type { ServiceClientConstructor } from '@grpc/grpc-js';
import { loadServices } from '@podstage/grpc';

export const PROTO_FILE = fileURLToPath(new URL('../proto/api.proto', import.meta.url));

let loaded: ServiceClientConstructor | undefined;

export function publicApi(): ServiceClientConstructor {
  loaded ??= loadServices(PROTO_FILE, 'v1alpha').PublicAPI!;
  return loaded;
}
