/**
 * What Exec, Attach and PortForward asked for, kept under a one-time token
 * until the client comes to the URL that names it (as the kubelet's streaming
 * server does): a minute at most, used once.
 */
import { randomBytes } from 'node:crypto';
import type { AttachRequest } from './attach.js';
import type { ExecRequest } from './exec.js';
import type { PortForwardRequest } from './port-forward.js';

export type StreamRequest =
  | ({ kind: 'exec' } & ExecRequest)
  | ({ kind: 'attach' } & AttachRequest)
  | ({ kind: 'portforward' } & PortForwardRequest);

/** Exec and attach: the remote command protocol's sessions. */
export type RemoteCommandRequest = Extract<StreamRequest, { kind: 'exec' | 'attach' }>;

export const TOKEN_TTL_MS = 60_000;
const MAX_PENDING = 1000;

export class RequestCache {
  private readonly pending = new Map<string, { request: StreamRequest; expires: number }>();

  insert(request: StreamRequest): string {
    this.expire();
    if (this.pending.size >= MAX_PENDING) throw new Error(`${MAX_PENDING} streaming requests are already waiting for their client`);
    const token = randomBytes(16).toString('base64url');
    this.pending.set(token, { request, expires: Date.now() + TOKEN_TTL_MS });
    return token;
  }

  /** The request of `token`, which is then gone; undefined when unknown or expired. */
  consume(token: string): StreamRequest | undefined {
    this.expire();
    const entry = this.pending.get(token);
    this.pending.delete(token);
    return entry?.request;
  }

  private expire(): void {
    const now = Date.now();
    for (const [token, e] of this.pending) if (e.expires <= now) this.pending.delete(token);
  }
}
