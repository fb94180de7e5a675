/** A .proto's services for a server or a client, and binding a server's implementations (the rest answer UNIMPLEMENTED). */
import { loadPackageDefinition, status, type GrpcObject, type ServiceClientConstructor, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

/** Field names as in the .proto, int64 as decimal strings (nanosecond stamps exceed 2^53), enums by name. */
export const LOADER_OPTIONS = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true } as const;

/** The services of `pkg` (`runtime.v1`) in `file`, by name. */
export function loadServices(file: string, pkg: string): Record<string, ServiceClientConstructor> {
  let node = loadPackageDefinition(loadSync(file, LOADER_OPTIONS)) as GrpcObject;
  for (const part of pkg.split('.')) node = node[part] as GrpcObject;
  return node as unknown as Record<string, ServiceClientConstructor>;
}

/**
 * A unary handler: the request in, the response out, or a thrown error that `toStatus` turns into a
 * gRPC status. `signal` aborts when the client cancels the call (its deadline passed, it went away).
 */
export type Unary<C> = (ctx: C, request: any, signal: AbortSignal) => Promise<object>;
/** A server-streaming handler: writes responses until it returns (or the call is cancelled). */
export type Streaming<C> = (ctx: C, request: any, write: (response: object) => void, cancelled: () => boolean) => Promise<void>;

export function implementation<C>(
  ctx: C, definition: ServiceDefinition, service: string,
  handlers: { unary?: Record<string, Unary<C>>; streaming?: Record<string, Streaming<C>> },
  toStatus: (err: unknown) => object,
): UntypedServiceImplementation {
  const impl: UntypedServiceImplementation = {};
  for (const [name, method] of Object.entries(definition)) {
    const unimplemented = { code: status.UNIMPLEMENTED, details: `${service}.${name} is not implemented by podstage` };
    const unary = handlers.unary?.[name];
    const streaming = handlers.streaming?.[name];
    if (!method.requestStream && method.responseStream && streaming !== undefined) {
      impl[name] = (call: { request: unknown; cancelled: boolean; write(r: object): void; end(): void; emit(e: 'error', err: object): void }) => {
        streaming(ctx, call.request, (r) => call.write(r), () => call.cancelled).then(() => call.end(), (err: unknown) => call.emit('error', toStatus(err)));
      };
    } else if (method.requestStream || method.responseStream) {
      impl[name] = (call: { emit(event: 'error', err: object): void }) => call.emit('error', unimplemented);
    } else if (unary === undefined) {
      impl[name] = (_call: unknown, callback: (err: object) => void) => callback(unimplemented);
    } else {
      impl[name] = (call: { request: unknown; on(event: 'cancelled', listener: () => void): void }, callback: (err: object | null, response?: object) => void) => {
        const cancelled = new AbortController();
        call.on('cancelled', () => cancelled.abort(new Error(`${service}.${name}: the client cancelled the call (its deadline passed, or it went away)`)));
        unary(ctx, call.request, cancelled.signal).then((response) => callback(null, response), (err: unknown) => callback(toStatus(err)));
      };
    }
  }
  return impl;
}
