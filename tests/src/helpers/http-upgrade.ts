/** An HTTP/1.1 upgrade on a plain socket: the request's head sent, the answer's head read; the socket paused after it. */
import { connect, type Socket } from 'node:net';

export interface Upgraded {
  socket: Socket;
  status: number;
  /** The answer's head (status line and headers). */
  headers: string;
  /** What came after the head: the first bytes of the new protocol. */
  rest: Buffer;
}

/** `lines`: the request line and headers, without the empty line that ends them. */
export function httpUpgrade(url: string, lines: string[]): Promise<Upgraded> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: u.hostname, port: Number(u.port) });
    socket.once('error', reject);
    socket.once('connect', () => socket.write([...lines, '', ''].join('\r\n')));
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      socket.pause();
      const text = head.subarray(0, end).toString();
      resolve({ socket, status: Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1]), headers: text, rest: head.subarray(end + 4) });
    };
    socket.on('data', onData);
  });
}
