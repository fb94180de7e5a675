/**
 * @podstage/grpc: what the CRI server and the API service share. Unix sockets
 * every client can use (authority-proxy.ts), a .proto's services, binding
 * handlers with UNIMPLEMENTED for the rest.
 */
export { listen, type Listener } from './listen.js';
export { implementation, LOADER_OPTIONS, loadServices, type Streaming, type Unary } from './services.js';
