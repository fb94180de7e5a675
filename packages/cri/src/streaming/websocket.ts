/**
 * Exec and attach over a websocket (`v5.channel.k8s.io`, what kubelets and
 * clients of Kubernetes 1.30 on prefer; `v4.channel.k8s.io` too): every binary
 * message starts with its channel (0 stdin, 1 stdout, 2 stderr, 3 error,
 * 4 resize); in v5 a message `255 N` means the sender closed channel N.
 */
import { PassThrough, Writable } from 'node:stream';
import type { WebSocket } from 'ws';
import type { Channels, ChannelName, StreamOptions } from './channels.js';
import { expectedChannels } from './channels.js';

export const WEBSOCKET_REMOTECOMMAND_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'] as const;

const CHANNEL: Record<ChannelName, number> = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4 };
const CLOSE = 255;

function outgoing(ws: WebSocket, channel: number, v5: boolean): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (ws.readyState !== ws.OPEN) return done();
      ws.send(Buffer.concat([Buffer.from([channel]), chunk]), { binary: true }, () => done());
    },
    final(done) {
      if (v5 && ws.readyState === ws.OPEN) ws.send(Buffer.from([CLOSE, channel]), { binary: true }, () => done());
      else done();
    },
  });
}

export function websocketChannels(ws: WebSocket, o: StreamOptions): Channels {
  const v5 = ws.protocol === 'v5.channel.k8s.io';
  const names = expectedChannels(o);
  const incoming = new Map<number, PassThrough>();
  const ch: Partial<Channels> = {};
  for (const name of names) {
    if (name === 'stdin' || name === 'resize') {
      const stream = new PassThrough();
      incoming.set(CHANNEL[name], stream);
      ch[name] = stream;
    } else {
      ch[name] = outgoing(ws, CHANNEL[name], v5);
    }
  }
  ws.on('message', (data: Buffer, binary: boolean) => {
    const message = binary ? data : Buffer.from(data.toString(), 'utf8');
    if (message.length === 0) return;
    const channel = message[0] as number;
    if (channel === CLOSE && v5) {
      incoming.get(message[1] as number)?.end();
      return;
    }
    incoming.get(channel)?.write(message.subarray(1));
  });
  ws.on('close', () => { for (const s of incoming.values()) s.end(); });
  return ch as Channels;
}
