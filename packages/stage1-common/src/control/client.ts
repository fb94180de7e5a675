/** Host side of the control channel. */
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { pod, PodstageError } from '@podstage/contract';
import type { ControlReply, ControlRequest } from './protocol.js';

/** A pod supervisor's control socket, the same place for every stage1 that has one. */
export const controlSocket = (podDir: string) => join(pod.stage1Run(podDir), 'control.sock');

/** `timeoutMs` 0: wait as long as the request takes (exec). */
export function sendControl(podDir: string, request: ControlRequest, timeoutMs = 30_000): Promise<ControlReply> {
  const path = controlSocket(podDir);
  return new Promise((resolve, reject) => {
    const sock = createConnection(path);
    let data = '';
    const timer = timeoutMs === 0 ? undefined : setTimeout(() => {
      sock.destroy();
      reject(new PodstageError('ERR_PODSTAGE_STAGE1', `${path}: no answer to ${request.op} within ${timeoutMs} ms`));
    }, timeoutMs);
    sock.on('connect', () => sock.end(`${JSON.stringify(request)}\n`));
    sock.on('data', (d) => (data += d.toString()));
    sock.on('error', (err) => {
      clearTimeout(timer);
      const code = (err as NodeJS.ErrnoException).code;
      const hint = code === 'ENOENT' || code === 'ECONNREFUSED' ? { hint: 'the pod is not running (still starting, or already ended): see podstage status' } : {};
      reject(new PodstageError('ERR_PODSTAGE_STAGE1', `${path}: ${code ?? err.message}`, { cause: err, ...hint }));
    });
    sock.on('close', () => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(data) as ControlReply);
      } catch {
        reject(new PodstageError('ERR_PODSTAGE_STAGE1', `${path}: the supervisor closed the connection without a reply to ${request.op}`));
      }
    });
  });
}

export async function control(podDir: string, request: ControlRequest, timeoutMs?: number): Promise<ControlReply & { ok: true }> {
  const reply = await sendControl(podDir, request, timeoutMs);
  if (!reply.ok) throw new PodstageError('ERR_PODSTAGE_STAGE1', reply.error);
  return reply;
}
