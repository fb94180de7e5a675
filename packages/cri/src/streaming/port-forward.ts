/**
 * Port forwarding over SPDY (`portforward.k8s.io`): for every connection the
 * client opens two streams with the same `requestID` and `port` headers, an
 * `error` one and a `data` one. Once both are there, the data stream is joined
 * to a new connection to that port on the pod's localhost; what goes wrong is
 * written as text on the error stream. The session lasts until the client ends it.
 */
import { formatError } from '@podstage/contract';
import { connectToPodPort } from '@podstage/runtime';
import type { CriContext } from '../context.js';
import type { SpdyConnection, SpdyStream } from './spdy/connection.js';

export const PORT_FORWARD_PROTOCOLS = ['portforward.k8s.io'] as const;
/** The websocket subprotocol of SPDY tunneled in a websocket (client-go's tunneling dialer, Kubernetes 1.30+). */
export const PORT_FORWARD_TUNNEL_PROTOCOL = 'SPDY/3.1+portforward.k8s.io';

export interface PortForwardRequest { sandboxId: string; ports: number[] }

interface Pair { error?: SpdyStream; data?: SpdyStream }

export function servePortForward(ctx: CriContext, req: PortForwardRequest, connection: SpdyConnection): void {
  const pairs = new Map<string, Pair>();
  connection.on('stream', (stream) => {
    const { streamtype: type, requestid: requestId = String(stream.id), port } = stream.headers;
    if ((type !== 'error' && type !== 'data') || port === undefined) {
      stream.destroy();
      return;
    }
    void connection.reply(stream).then(() => {
      const pair = pairs.get(requestId) ?? {};
      pair[type] = stream;
      pairs.set(requestId, pair);
      if (pair.error !== undefined && pair.data !== undefined) {
        pairs.delete(requestId);
        void forward(ctx, req, Number(port), pair.data, pair.error);
      }
    });
  });
}

async function forward(ctx: CriContext, req: PortForwardRequest, port: number, data: SpdyStream, error: SpdyStream): Promise<void> {
  // The client only reads the error stream; either stream may be reset by it at any time.
  error.resume();
  for (const s of [data, error]) s.on('error', () => undefined);
  try {
    if (req.ports.length > 0 && !req.ports.includes(port)) throw new Error(`port ${port} was not asked for (PortForwardRequest.port: ${req.ports.join(', ')})`);
    const c = connectToPodPort(ctx.dataDir, req.sandboxId, port);
    data.pipe(c.stream);
    c.stream.pipe(data);
    c.stream.on('error', () => undefined);
    data.once('close', () => c.stream.destroy());
    const failure = await c.failure;
    if (failure !== undefined) error.write(`error forwarding port ${port} to pod ${req.sandboxId}: ${failure}`);
  } catch (e) {
    error.write(`error forwarding port ${port} to pod ${req.sandboxId}: ${formatError(e)}`);
  }
  // The connection is over either way: a failed one never ends the data stream through the pipe.
  data.end();
  error.end();
}
