/**
 * The CRI runtime.v1 protocol (proto/api.proto, wire-identical to upstream's
 * api.proto), loaded once for the server and for clients (the tests, the bench).
 */
import { fileURLToPath } from 'node:url';
import { credentials, type CallOptions, type Client, type ServiceClientConstructor, type ServiceError } from '@grpc/grpc-js';
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

/** One RPC of a service as a promise: `call('RunPodSandbox', {...})`; `options.deadline` as the kubelet's timeouts. */
export type CriCall = <T = Record<string, any>>(method: string, request?: object, options?: CallOptions) => Promise<T>;

/** A server-streaming RPC's messages, once it ends: `stream('StreamPodSandboxes', {...})`. */
export type CriStream = <T = Record<string, any>>(method: string, request?: object) => Promise<T[]>;

export interface CriClient {
  runtime: CriCall;
  image: CriCall;
  runtimeStream: CriStream;
  imageStream: CriStream;
  close(): void;
}

/** A client of both services at `address` (`unix:///PATH`), for the tests and the bench. */
export function connectCri(address: string, channelOptions: Record<string, string> = {}): CriClient {
  const { RuntimeService, ImageService } = criServices();
  const clients = [RuntimeService, ImageService].map((Service) => new Service(address, credentials.createInsecure(), channelOptions));
  const call = (client: Client): CriCall => (method, request = {}, options = {}) => new Promise((resolve, reject) => {
    (client as unknown as Record<string, (r: object, o: CallOptions, cb: (e: ServiceError | null, v: unknown) => void) => void>)[method]!(request, options, (e, v) => (e ? reject(e) : resolve(v as never)));
  });
  const stream = (client: Client): CriStream => (method, request = {}) => new Promise((resolve, reject) => {
    const messages: unknown[] = [];
    const s = (client as unknown as Record<string, (r: object) => NodeJS.EventEmitter>)[method]!(request);
    s.on('data', (m: unknown) => { messages.push(m); }).on('end', () => resolve(messages as never)).on('error', reject);
  });
  return {
    runtime: call(clients[0]!), image: call(clients[1]!), runtimeStream: stream(clients[0]!), imageStream: stream(clients[1]!),
    close: () => clients.forEach((c) => c.close()),
  };
}
