/**
 * Exec and attach over SPDY (crictl and kubelets of every release): the client
 * opens one stream per channel, named by its `streamType` header; the session
 * starts once every channel the request asked for is there.
 */
import type { SpdyConnection, SpdyStream } from './spdy/connection.js';
import { expectedChannels, type ChannelName, type Channels, type StreamOptions } from './channels.js';

/** Remote command protocols spoken over SPDY: v5 only adds a websocket close signal, so both behave alike here. */
export const SPDY_REMOTECOMMAND_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'] as const;

export const STREAM_CREATION_TIMEOUT_MS = 30_000;

/** The channels, once the client opened them all (each accepted); undefined when it did not in time. */
export function spdyChannels(connection: SpdyConnection, o: StreamOptions): Promise<Channels | undefined> {
  const expected = new Set<ChannelName>(expectedChannels(o));
  const got: Partial<Record<ChannelName, SpdyStream>> = {};
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), STREAM_CREATION_TIMEOUT_MS);
    connection.on('close', () => { clearTimeout(timer); resolve(undefined); });
    connection.on('stream', (stream) => {
      const name = stream.headers.streamtype as ChannelName | undefined;
      if (name === undefined || !expected.has(name) || got[name] !== undefined) {
        stream.destroy();
        return;
      }
      got[name] = stream;
      void connection.reply(stream).then(() => {
        if ([...expected].every((n) => got[n] !== undefined)) {
          clearTimeout(timer);
          resolve({ ...got, error: got.error as SpdyStream });
        }
      });
    });
  });
}
