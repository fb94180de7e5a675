/**
 * The streaming server Exec, Attach and PortForward send clients to, as the
 * kubelet's and containerd's: plain HTTP (loopback by default; the kubelet
 * proxies to it), one URL per request (`/exec/TOKEN`, `/attach/TOKEN`,
 * `/portforward/TOKEN`), upgraded to SPDY/3.1 or to a websocket: for exec and attach
 * the v5 channel protocol, for port-forward SPDY tunneled in it (client-go's
 * `SPDY/3.1+portforward.k8s.io`, kubectl's port-forward over websockets).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createWebSocketStream, WebSocketServer } from 'ws';
import type { CriContext } from '../context.js';
import { serveAttach } from './attach.js';
import type { Channels } from './channels.js';
import { serveExec } from './exec.js';
import { PORT_FORWARD_PROTOCOLS, PORT_FORWARD_TUNNEL_PROTOCOL, servePortForward } from './port-forward.js';
import { SpdyConnection } from './spdy/connection.js';
import { RequestCache, type RemoteCommandRequest, type StreamRequest } from './requests.js';
import { SPDY_REMOTECOMMAND_PROTOCOLS, spdyChannels } from './spdy-remotecommand.js';
import { isSpdyUpgrade, offeredProtocols, refuse, upgradeToSpdy } from './upgrade.js';
import { WEBSOCKET_REMOTECOMMAND_PROTOCOLS, websocketChannels } from './websocket.js';

export const DEFAULT_STREAMING_ADDRESS = '127.0.0.1:0';

export class StreamingServer {
  private readonly requests = new RequestCache();
  private readonly http: Server;
  private readonly websockets: WebSocketServer;
  private base = '';

  constructor(private readonly ctx: CriContext) {
    this.http = createServer((_req, res) => {
      res.writeHead(400, { 'Content-Type': 'text/plain' }).end('expected an upgrade to SPDY/3.1 or a websocket\n');
    });
    this.websockets = new WebSocketServer({
      noServer: true,
      handleProtocols: (offered) => WEBSOCKET_REMOTECOMMAND_PROTOCOLS.find((p) => offered.has(p)) ?? false,
    });
    this.http.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => this.upgrade(req, socket, head));
  }

  /** Listen on HOST:PORT (port 0: any free one). */
  async listen(address: string): Promise<void> {
    const m = /^(.*):(\d+)$/.exec(address);
    if (m === null) throw new Error(`--streaming-address: expected HOST:PORT, got ${JSON.stringify(address)}`);
    const host = m[1]!.replace(/^\[(.*)\]$/, '$1');
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(Number(m[2]), host, () => resolve());
    });
    const bound = this.http.address() as AddressInfo;
    this.base = `http://${bound.family === 'IPv6' ? `[${bound.address}]` : bound.address}:${bound.port}`;
  }

  /** The URL a client streams `request` at. */
  url(request: StreamRequest): string {
    return `${this.base}/${request.kind}/${this.requests.insert(request)}`;
  }

  close(): Promise<void> {
    this.websockets.close();
    this.http.closeAllConnections();
    return new Promise((resolve) => this.http.close(() => resolve()));
  }

  private upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const m = /^\/(exec|attach|portforward)\/([A-Za-z0-9_-]+)(?:\?.*)?$/.exec(req.url ?? '');
    const request = m === null ? undefined : this.requests.consume(m[2]!);
    if (request === undefined || request.kind !== m?.[1]) {
      refuse(socket, 404, 'Not Found', 'unknown or expired streaming token\n');
      return;
    }
    if (isSpdyUpgrade(req)) {
      this.spdy(request, req, socket, head);
    } else if (String(req.headers.upgrade ?? '').toLowerCase() === 'websocket') {
      if (request.kind === 'portforward') {
        this.tunneledPortForward(request, req, socket, head);
        return;
      }
      if (!offeredProtocols(req.headers['sec-websocket-protocol']).some((p) => (WEBSOCKET_REMOTECOMMAND_PROTOCOLS as readonly string[]).includes(p))) {
        refuse(socket, 400, 'Bad Request', `expected a websocket subprotocol of ${WEBSOCKET_REMOTECOMMAND_PROTOCOLS.join(', ')}\n`);
        return;
      }
      this.websockets.handleUpgrade(req, socket, head, (ws) => {
        const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
        void this.remoteCommand(request, websocketChannels(ws, request), closed).then(() => ws.close(1000));
      });
    } else {
      refuse(socket, 400, 'Bad Request', `${request.kind}: expected an upgrade to SPDY/3.1 or a websocket\n`);
    }
  }

  /** SPDY in a websocket's binary messages, as client-go's tunneling dialer speaks it. */
  private tunneledPortForward(request: Extract<StreamRequest, { kind: 'portforward' }>, req: IncomingMessage, socket: Socket, head: Buffer): void {
    if (!offeredProtocols(req.headers['sec-websocket-protocol']).includes(PORT_FORWARD_TUNNEL_PROTOCOL)) {
      refuse(socket, 400, 'Bad Request', `portforward: expected the websocket subprotocol ${PORT_FORWARD_TUNNEL_PROTOCOL}\n`);
      return;
    }
    // RFC 6455 makes a subprotocol a token, which a '/' is not: ws refuses to negotiate it, client-go
    // insists on it. It is taken out of ws's sight and named in the 101 answer here.
    delete req.headers['sec-websocket-protocol'];
    const nameProtocol = (headers: string[], upgraded: IncomingMessage) => {
      if (upgraded === req) headers.push(`Sec-WebSocket-Protocol: ${PORT_FORWARD_TUNNEL_PROTOCOL}`);
    };
    this.websockets.on('headers', nameProtocol);
    try {
      this.websockets.handleUpgrade(req, socket, head, (ws) => servePortForward(this.ctx, request, new SpdyConnection(createWebSocketStream(ws), Buffer.alloc(0))));
    } finally {
      // ws answers the upgrade synchronously (no verifyClient): the listener has done its work.
      this.websockets.off('headers', nameProtocol);
    }
  }

  private spdy(request: StreamRequest, req: IncomingMessage, socket: Socket, head: Buffer): void {
    if (request.kind === 'portforward') {
      const up = upgradeToSpdy(req, socket, head, PORT_FORWARD_PROTOCOLS);
      if (up !== undefined) servePortForward(this.ctx, request, up.connection);
      return;
    }
    const up = upgradeToSpdy(req, socket, head, SPDY_REMOTECOMMAND_PROTOCOLS);
    if (up === undefined) return;
    const closed = new Promise<void>((resolve) => up.connection.once('close', () => resolve()));
    void spdyChannels(up.connection, request).then(async (channels) => {
      if (channels !== undefined) await this.remoteCommand(request, channels, closed);
      up.connection.close();
    });
  }

  private remoteCommand(request: RemoteCommandRequest, channels: Channels, closed: Promise<void>): Promise<void> {
    return request.kind === 'exec' ? serveExec(this.ctx, request, channels, closed) : serveAttach(this.ctx, request, channels, closed);
  }
}
