/**
 * The one HTTP primitive the registry client needs: a request with a
 * streamed response, redirects left to the caller. Node's global fetch does
 * the work; `tlsVerify: false` goes through `node:https` instead, because
 * fetch cannot be told to skip certificate checks without undici's Agent.
 */
import { request as httpsRequest } from 'node:https';
import type { IncomingMessage } from 'node:http';

export interface HttpRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT';
  url: URL;
  headers: Record<string, string>;
  body?: Buffer;
  tlsVerify: boolean;
}

export interface HttpResponse {
  status: number;
  url: URL;
  header(name: string): string | undefined;
  /** The body, once; network failures surface while iterating. */
  body(): AsyncIterable<Uint8Array>;
  /** The whole body, refusing more than `limit` bytes. */
  bytes(limit: number, what: string): Promise<Buffer>;
  /** Drops the body so the connection can be reused or closed. */
  discard(): Promise<void>;
}

/** A failure below HTTP (refused, reset, TLS): the request never got an answer. */
export class NetworkError extends Error {
  constructor(
    readonly url: URL,
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`${url.origin}: ${reason}`, options);
    this.name = 'NetworkError';
  }
}

export class BodyTooLargeError extends Error {
  constructor(what: string, limit: number) {
    super(`${what}: more than ${limit} bytes, expected at most ${limit}`);
    this.name = 'BodyTooLargeError';
  }
}

/** `ECONNREFUSED`, `ERR_SSL_WRONG_VERSION_NUMBER`, … from fetch's `cause` chain. */
export function networkReason(err: unknown): string {
  let current: unknown = err;
  for (let depth = 0; depth < 4 && current instanceof Error; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code !== '') return code;
    current = current.cause;
  }
  if (err instanceof Error && err.cause instanceof Error) return err.cause.message.split('\n')[0] ?? err.message;
  return err instanceof Error ? err.message : String(err);
}

async function collect(chunks: AsyncIterable<Uint8Array>, limit: number, what: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  let total = 0;
  for await (const chunk of chunks) {
    total += chunk.length;
    if (total > limit) throw new BodyTooLargeError(what, limit);
    parts.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
  }
  return Buffer.concat(parts);
}

function fromFetch(url: URL, response: Response): HttpResponse {
  const stream = response.body;
  const body = async function* (): AsyncIterable<Uint8Array> {
    if (stream === null) return;
    try {
      for await (const chunk of stream) yield chunk;
    } catch (err) {
      throw new NetworkError(url, `connection lost while reading the body (${networkReason(err)})`, { cause: err });
    }
  };
  return {
    status: response.status,
    url,
    header: (name) => response.headers.get(name) ?? undefined,
    body,
    bytes: (limit, what) => collect(body(), limit, what),
    discard: async () => {
      await stream?.cancel().catch(() => undefined);
    },
  };
}

function fromIncoming(url: URL, message: IncomingMessage): HttpResponse {
  const body = async function* (): AsyncIterable<Uint8Array> {
    try {
      for await (const chunk of message) yield chunk as Buffer;
    } catch (err) {
      throw new NetworkError(url, `connection lost while reading the body (${networkReason(err)})`, { cause: err });
    }
    if (!message.complete) throw new NetworkError(url, 'connection lost while reading the body (incomplete response)');
  };
  return {
    status: message.statusCode ?? 0,
    url,
    header: (name) => {
      const value = message.headers[name.toLowerCase()];
      return Array.isArray(value) ? value.join(', ') : value;
    },
    body,
    bytes: (limit, what) => collect(body(), limit, what),
    discard: async () => {
      message.destroy();
    },
  };
}

function sendWithoutTlsVerify(req: HttpRequest): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...req.headers };
    if (req.body !== undefined) headers['content-length'] = String(req.body.length);
    const outgoing = httpsRequest(req.url, { method: req.method, headers, rejectUnauthorized: false }, (message) => resolve(fromIncoming(req.url, message)));
    outgoing.on('error', (err) => reject(new NetworkError(req.url, networkReason(err), { cause: err })));
    outgoing.end(req.body);
  });
}

export async function send(req: HttpRequest): Promise<HttpResponse> {
  if (!req.tlsVerify && req.url.protocol === 'https:') return sendWithoutTlsVerify(req);
  let response: Response;
  try {
    response = await fetch(req.url, {
      method: req.method,
      headers: req.headers,
      redirect: 'manual',
      ...(req.body === undefined ? {} : { body: req.body }),
    });
  } catch (err) {
    throw new NetworkError(req.url, networkReason(err), { cause: err });
  }
  return fromFetch(req.url, response);
}

/** Loopback hosts get Docker's treatment: HTTPS first, then plain HTTP. */
export function isLoopbackHost(host: string): boolean {
  const hostname = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.replace(/:[0-9]+$/, '');
  return hostname === 'localhost' || hostname === '::1' || /^127\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$/.test(hostname);
}
