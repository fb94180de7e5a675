/**
 * Output from the guest: apps and exec'd commands write to flat files in the
 * output share (the guest's /out); the host follows them as they grow. The
 * guest controls that directory, so a file is opened without following a
 * symlink and read only if it is a regular file.
 */
import { closeSync, constants, fstatSync, openSync, readSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { outputDir } from './guest-share.js';

export type GuestStream = 'stdout' | 'stderr';
export const appOutputFile = (podDir: string, app: string, stream: GuestStream) => join(outputDir(podDir), `${app}.${stream}`);
export const execOutputFile = (podDir: string, id: string, stream: GuestStream) => join(outputDir(podDir), `exec-${id}.${stream}`);

const CHUNK = 256 * 1024;

function openRegular(path: string): number | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  if (fstatSync(fd).isFile()) return fd;
  closeSync(fd);
  return undefined;
}

/** Remove a file the guest may have left (unlink never follows a symlink; a directory stays). */
export function removeGuestFile(path: string): void {
  try {
    rmSync(path, { force: true });
  } catch {
    // not a file: the follower will refuse to read it
  }
}

/**
 * A Readable over a file the guest is still writing (polled every 100 ms); ends after
 * `finish()` once drained. finish() reads at once rather than at the next poll: a pod's
 * end waits for its output.
 */
export function followFile(path: string): { stream: Readable; finish(): void } {
  let offset = 0;
  let fd: number | undefined;
  let finishing = false;
  let nextPoll: { timer: NodeJS.Timeout; pump: () => void } | undefined;
  const buf = Buffer.alloc(CHUNK);
  const stream = new Readable({
    read() {
      const pump = () => {
        nextPoll = undefined;
        fd ??= openRegular(path);
        const n = fd === undefined ? 0 : readSync(fd, buf, 0, CHUNK, offset);
        if (n > 0) {
          offset += n;
          this.push(Buffer.from(buf.subarray(0, n)));
        } else if (finishing) {
          if (fd !== undefined) closeSync(fd);
          this.push(null);
        } else nextPoll = { timer: setTimeout(pump, 100), pump };
      };
      pump();
    },
  });
  const finish = () => {
    finishing = true;
    if (nextPoll === undefined) return;
    clearTimeout(nextPoll.timer);
    nextPoll.pump();
  };
  return { stream, finish };
}
