/**
 * Request lines for a running guest's agent (guest/agent-script.ts), written
 * straight into its FIFO by `enter`: the `exec` itself, then stdin as `input`
 * lines and terminal sizes as `resize`. Like `kvm-io send`, every line is at most
 * PIPE_BUF bytes, so it is written whole and never interleaved with another
 * writer's; a full pipe is waited out rather than blocked on. (Node opens every fd close-on-exec.)
 */
import { closeSync, constants, openSync, writeSync } from 'node:fs';
import { PodstageError } from '@podstage/contract';

const PIPE_BUF = 4096;
/** Bytes per `input` line: their base64 and the line's other words stay under PIPE_BUF. */
const INPUT_CHUNK = 2048;
const WORD = /^[A-Za-z0-9+/=._-]+$/;

export class AgentRequests {
  private readonly fd: number;
  private queue: Promise<void> = Promise.resolve();

  constructor(fifo: string) {
    try {
      this.fd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
    } catch (e) {
      throw new PodstageError('ERR_PODSTAGE_POD_STATE', `stage1 kvm: ${(e as NodeJS.ErrnoException).code === 'ENXIO' ? 'the guest is gone' : `cannot open the agent's request FIFO: ${(e as Error).message}`}`);
    }
  }

  /** One request; requests go out in the order they were asked for. */
  send(words: string[]): Promise<void> {
    const line = Buffer.from(`${words.join(' ')}\n`);
    if (!words.every((w) => WORD.test(w)) || line.length > PIPE_BUF) throw new Error(`stage1 kvm: not a request line: ${words.join(' ').slice(0, 80)}`);
    this.queue = this.queue.then(() => this.write(line));
    return this.queue;
  }

  input(id: string, bytes: Buffer): Promise<void> {
    let last = this.queue;
    for (let at = 0; at < bytes.length; at += INPUT_CHUNK) last = this.send(['input', id, bytes.subarray(at, at + INPUT_CHUNK).toString('base64')]);
    return last;
  }

  close(): void {
    closeSync(this.fd);
  }

  private async write(line: Buffer): Promise<void> {
    for (;;) {
      try {
        writeSync(this.fd, line);
        return;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'EAGAIN') throw new PodstageError('ERR_PODSTAGE_POD_STATE', `stage1 kvm: ${code === 'EPIPE' ? 'the guest is gone' : `cannot write a request: ${(e as Error).message}`}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    }
  }
}
