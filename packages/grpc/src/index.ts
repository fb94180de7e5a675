/**
 * @podstage/grpc: what the CRI server and the API service share. Unix sockets
 * every client can use (authority-proxy.ts), a .proto's services, binding
 * handlers with UNIMPLEMENTED for the rest, the one error table, int64 times.
 */
export { listen, type Listener } from './listen.js';
export { serveUntilSignal } from './serve.js';
export { implementation, LOADER_OPTIONS, loadServices, type Streaming, type Unary } from './services.js';
export { GrpcError, toStatus } from './errors.js';
export { isoToNanos, nowNanos } from './time.js';
