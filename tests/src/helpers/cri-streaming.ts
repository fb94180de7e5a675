/**
 * Clients of the CRI streaming server, built on other implementations than the
 * server's own: spdy-transport for SPDY/3.1 (what crictl and kubelets speak)
 * and ws for the websocket `v5.channel.k8s.io` protocol.
 */
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket } from 'ws';
import { httpUpgrade, type Upgraded } from './http-upgrade.js';
import { rawWebsocket } from './websocket-client.js';

interface SpdyClientStream extends Duplex { id: number }
interface SpdyClientConnection {
  start(version: number): void;
  request(uri: { method: string; path: string; host?: string; headers: Record<string, string> }, cb: (err: Error | null, stream: SpdyClientStream) => void): void;
  end(): void;
}
const spdyTransport = createRequire(import.meta.url)('spdy-transport') as {
  connection: { create(socket: Duplex, o: { protocol: string; isServer: boolean }): SpdyClientConnection };
};

export interface StreamResult {
  stdout: string;
  stderr: string;
  /** The error channel's metav1.Status. */
  status: { status?: string; reason?: string; message?: string; details?: { causes?: { reason?: string; message?: string }[] } };
  /** The exit code the status carries (0 for Success). */
  exitCode: number | undefined;
}

export interface ExecSession {
  stdin?: string | Buffer;
  /** Terminal sizes sent on the resize channel, the first one at once, each next after `resizeAfterMs`. */
  sizes?: { Width: number; Height: number }[];
  resizeAfterMs?: number;
  /** Write stdin only once stdout contains this (a prompt), then this many ms apart per chunk. */
  stdinAfter?: string;
  /** Keep stdin open (a terminal that is typed at): do not half-close it after writing. */
  keepStdinOpen?: boolean;
}

function exitCodeOf(status: StreamResult['status']): number | undefined {
  if (status.status === 'Success') return 0;
  const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
  return cause === undefined ? undefined : Number(cause.message);
}

/** The HTTP upgrade to SPDY/3.1 on a plain socket; the socket once the server said 101. */
export function upgradeSocket(url: string, protocols: string[], upgrade = 'SPDY/3.1'): Promise<Upgraded> {
  const u = new URL(url);
  return httpUpgrade(url, [
    `POST ${u.pathname} HTTP/1.1`, `Host: ${u.host}`, 'Connection: Upgrade', `Upgrade: ${upgrade}`,
    ...protocols.map((p) => `X-Stream-Protocol-Version: ${p}`), 'Content-Length: 0',
  ]);
}

function spdyConnection(socket: Socket, rest: Buffer): SpdyClientConnection {
  if (rest.length > 0) socket.unshift(rest);
  const connection = spdyTransport.connection.create(socket, { protocol: 'spdy', isServer: false });
  connection.start(3.1);
  socket.resume();
  return connection;
}

function openStream(connection: SpdyClientConnection, headers: Record<string, string>): Promise<SpdyClientStream> {
  return new Promise((resolve, reject) => connection.request({ method: 'POST', path: '/', headers }, (err, stream) => (err ? reject(err) : resolve(stream))));
}

const collect = (s: Duplex | undefined): Promise<string> => new Promise((resolve) => {
  if (s === undefined) return resolve('');
  let text = '';
  s.on('data', (d: Buffer) => { text += d.toString(); });
  s.on('end', () => resolve(text));
  s.on('close', () => resolve(text));
  s.on('error', () => resolve(text));
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function drive(o: ExecSession, ch: { stdin?: Duplex | undefined; resize?: Duplex | undefined; stdout?: Duplex | undefined }, stdoutSoFar: () => string): Promise<void> {
  for (const [i, size] of (ch.resize === undefined ? [] : o.sizes ?? []).entries()) {
    if (i > 0) await sleep(o.resizeAfterMs ?? 300);
    ch.resize?.write(`${JSON.stringify(size)}\n`);
  }
  // Give the last resize time to reach the command's terminal before typing.
  if ((o.sizes ?? []).length > 1) await sleep(o.resizeAfterMs ?? 300);
  if (ch.stdin !== undefined && o.stdin !== undefined) {
    if (o.stdinAfter !== undefined) {
      for (let i = 0; i < 200 && !stdoutSoFar().includes(o.stdinAfter); i++) await sleep(50);
    }
    // A session the server already ended (an error in its status) has no stdin to write to.
    if (!ch.stdin.destroyed) {
      ch.stdin.write(o.stdin);
      if (o.keepStdinOpen !== true) ch.stdin.end();
    }
  }
}

/** Exec or attach over SPDY at a streaming URL, with the channels `flags` asks for. */
export async function spdyRemoteCommand(url: string, flags: { stdin: boolean; stdout: boolean; stderr: boolean; tty: boolean }, o: ExecSession = {}): Promise<StreamResult & { protocol: string }> {
  const up = await upgradeSocket(url, ['v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io']);
  if (up.status !== 101) throw new Error(`streaming server answered ${up.headers}`);
  const protocol = /X-Stream-Protocol-Version: (\S+)/i.exec(up.headers)?.[1] ?? '';
  const connection = spdyConnection(up.socket, up.rest);
  const error = await openStream(connection, { streamtype: 'error' });
  const stdin = flags.stdin ? await openStream(connection, { streamtype: 'stdin' }) : undefined;
  const stdout = flags.stdout ? await openStream(connection, { streamtype: 'stdout' }) : undefined;
  const stderr = flags.stderr && !flags.tty ? await openStream(connection, { streamtype: 'stderr' }) : undefined;
  const resize = flags.tty ? await openStream(connection, { streamtype: 'resize' }) : undefined;
  let out = '';
  stdout?.on('data', (d: Buffer) => { out += d.toString(); });
  const results = Promise.all([collect(stdout), collect(stderr), collect(error)]);
  await drive(o, { stdin, resize, stdout }, () => out);
  const [, errText, statusText] = await results;
  up.socket.destroy();
  const status = statusText === '' ? {} : JSON.parse(statusText) as StreamResult['status'];
  return { stdout: out, stderr: errText, status, exitCode: exitCodeOf(status), protocol };
}

/** Exec or attach over a websocket (`v5.channel.k8s.io`). */
export async function websocketRemoteCommand(url: string, o: ExecSession = {}): Promise<StreamResult & { protocol: string }> {
  const ws = new WebSocket(url.replace(/^http/, 'ws'), ['v5.channel.k8s.io']);
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  let stdout = '', stderr = '', error = '';
  const send = (channel: number, data: string | Buffer) => ws.send(Buffer.concat([Buffer.from([channel]), Buffer.from(data)]));
  ws.on('message', (data: Buffer) => {
    const text = data.subarray(1).toString();
    if (data[0] === 1) stdout += text;
    else if (data[0] === 2) stderr += text;
    else if (data[0] === 3) error += text;
  });
  const closed = new Promise((resolve) => ws.once('close', resolve));
  for (const [i, size] of (o.sizes ?? []).entries()) {
    if (i > 0) await sleep(o.resizeAfterMs ?? 300);
    send(4, JSON.stringify(size));
  }
  if (o.stdin !== undefined) {
    if (o.stdinAfter !== undefined) for (let i = 0; i < 200 && !stdout.includes(o.stdinAfter); i++) await sleep(50);
    send(0, o.stdin);
    if (o.keepStdinOpen !== true) ws.send(Buffer.from([255, 0]));
  }
  await closed;
  const status = error === '' ? {} : JSON.parse(error) as StreamResult['status'];
  return { stdout, stderr, status, exitCode: exitCodeOf(status), protocol: ws.protocol };
}

/** One connection forwarded over SPDY (`portforward.k8s.io`): `send` written, everything the pod answers until it closes. */
export async function spdyPortForward(url: string, port: number, send: string): Promise<{ data: string; error: string }> {
  const up = await upgradeSocket(url, ['portforward.k8s.io']);
  if (up.status !== 101) throw new Error(`streaming server answered ${up.headers}`);
  try {
    return await forwardOver(spdyConnection(up.socket, up.rest), port, send);
  } finally {
    up.socket.destroy();
  }
}

/**
 * The same with SPDY tunneled in a websocket (`SPDY/3.1+portforward.k8s.io`), as client-go's
 * tunneling dialer and critest -websocket-portforward speak it. ws refuses that subprotocol (a '/'
 * is no RFC 6455 token), so the client's websocket is a minimal one of its own (websocket-client.ts).
 */
export async function tunneledPortForward(url: string, port: number, send: string): Promise<{ data: string; error: string; protocol: string }> {
  const ws = await rawWebsocket(url, 'SPDY/3.1+portforward.k8s.io');
  const connection = spdyTransport.connection.create(ws.stream, { protocol: 'spdy', isServer: false });
  connection.start(3.1);
  try {
    return { ...(await forwardOver(connection, port, send)), protocol: ws.protocol };
  } finally {
    ws.stream.destroy();
  }
}

async function forwardOver(connection: SpdyClientConnection, port: number, send: string): Promise<{ data: string; error: string }> {
  const headers = { port: String(port), requestid: '0' };
  const error = await openStream(connection, { ...headers, streamtype: 'error' });
  const data = await openStream(connection, { ...headers, streamtype: 'data' });
  const results = Promise.all([collect(data), collect(error)]);
  data.write(send);
  const [answer, err] = await results;
  return { data: answer, error: err };
}
