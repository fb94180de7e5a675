/**
 * The host end of the guest agent's channel (protocol: guest/agent-script.ts).
 * This process listens on a unix socket; QEMU connects to it as the
 * virtio-serial port's backend. What the guest says is untrusted: a line that
 * does not parse is ignored.
 */
import { EventEmitter } from 'node:events';
import { rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';

export interface AgentEvents {
  ready: [];
  exited: [app: string, status: number];
  'exec-exited': [id: string, status: number];
  /** QEMU went away (the guest halted or died). */
  closed: [];
}

const NAME = /^[a-z0-9][a-z0-9-]*$/;
const STATUS = /^[0-9]{1,3}$/;
const MAX_LINE = 4096;

export class AgentChannel extends EventEmitter<AgentEvents> {
  #server: Server;
  #sock: Socket | undefined;
  #buffered = '';

  private constructor(server: Server) {
    super();
    this.#server = server;
    server.on('connection', (sock) => {
      if (this.#sock !== undefined) {
        sock.destroy();
        return;
      }
      this.#sock = sock;
      sock.on('data', (d) => this.#receive(d.toString('latin1')));
      sock.on('close', () => this.emit('closed'));
      sock.on('error', () => sock.destroy());
    });
  }

  static listen(path: string): Promise<AgentChannel> {
    rmSync(path, { force: true });
    const server = createServer();
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => resolve(new AgentChannel(server)));
    });
  }

  send(...fields: string[]): void {
    this.#sock?.write(`${fields.join(' ')}\n`);
  }

  close(): void {
    this.#sock?.destroy();
    this.#server.close();
  }

  #receive(text: string): void {
    this.#buffered += text;
    let nl: number;
    while ((nl = this.#buffered.indexOf('\n')) >= 0) {
      this.#dispatch(this.#buffered.slice(0, nl).trim().split(' '));
      this.#buffered = this.#buffered.slice(nl + 1);
    }
    if (this.#buffered.length > MAX_LINE) this.#buffered = '';
  }

  #dispatch([op, name, status, ...rest]: string[]): void {
    if (op === 'ready' && name === undefined) this.emit('ready');
    if (name === undefined || status === undefined || rest.length > 0 || !NAME.test(name) || !STATUS.test(status)) return;
    if (op === 'exited') this.emit('exited', name, Number(status));
    if (op === 'exec-exited') this.emit('exec-exited', name, Number(status));
  }
}
