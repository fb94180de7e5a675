/**
 * Pull progress: one bar per layer (cli-progress) on a terminal, plain lines
 * otherwise so logs stay readable.
 */
import { createRequire } from 'node:module';

import type { PullProgress } from '@podstage/images';

export interface ProgressReporter {
  onProgress(ev: PullProgress): void;
  stop(): void;
}

export const humanBytes = (n: number) => {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
};

const short = (digest: string) => digest.replace(/^sha256:/, '').slice(0, 12);

function lineReporter(out: NodeJS.WritableStream): ProgressReporter {
  return {
    onProgress(ev) {
      if (ev.kind === 'manifest') out.write(`manifest ${ev.digest}\n`);
      else if (ev.kind === 'layer-skip') out.write(`layer ${short(ev.digest)}: already in the store\n`);
      else if (ev.kind === 'layer-done') out.write(`layer ${short(ev.digest)}: ${humanBytes(ev.total ?? ev.bytes ?? 0)} verified\n`);
    },
    stop() {},
  };
}

interface Bar { update(n: number, payload?: object): void; setTotal(n: number): void; stop(): void }
interface MultiBarLike { create(total: number, start: number, payload?: object): Bar; stop(): void }

/** Bars appear (and cli-progress loads) only once a pull actually reports something. */
function barReporter(out: NodeJS.WriteStream): ProgressReporter {
  let bars: ProgressReporter | undefined;
  return {
    onProgress(ev) {
      bars ??= createBars(out);
      bars.onProgress(ev);
    },
    stop() {
      bars?.stop();
    },
  };
}

function createBars(out: NodeJS.WriteStream): ProgressReporter {
  const require = createRequire(import.meta.url);
  const progress = require('cli-progress') as {
    MultiBar: new (opts: object, preset: object) => MultiBarLike;
    Presets: Record<string, object>;
  };
  const multi = new progress.MultiBar({
    stream: out,
    clearOnComplete: false,
    hideCursor: true,
    format: ' {layer} [{bar}] {percentage}% {done}/{size}',
    formatValue: (v: number, _o: unknown, type: string) => (type === 'value' || type === 'total' ? humanBytes(v) : String(v)),
  }, progress.Presets.shades_classic ?? {});
  const bars = new Map<string, Bar>();
  const payload = (digest: string, done: number, total: number) => ({ layer: short(digest), done: humanBytes(done), size: humanBytes(total) });
  return {
    onProgress(ev) {
      const total = ev.total ?? 0;
      if (ev.kind === 'layer-start' || ev.kind === 'layer-skip') {
        const bar = multi.create(total, ev.kind === 'layer-skip' ? total : 0, payload(ev.digest, ev.kind === 'layer-skip' ? total : 0, total));
        bars.set(ev.digest, bar);
      } else if (ev.kind === 'layer-bytes' || ev.kind === 'layer-done') {
        const done = ev.kind === 'layer-done' ? total : ev.bytes ?? 0;
        bars.get(ev.digest)?.update(done, payload(ev.digest, done, total));
      }
    },
    stop() {
      multi.stop();
    },
  };
}

export function progressReporter(out: NodeJS.WriteStream = process.stderr): ProgressReporter {
  return out.isTTY ? barReporter(out) : lineReporter(out);
}

/** Run `fetch` with a reporter listening to its progress; the bars end with it. */
export async function withProgress<T>(fetch: (onProgress: (ev: PullProgress) => void) => Promise<T>): Promise<T> {
  const reporter = progressReporter();
  try {
    return await fetch((ev) => reporter.onProgress(ev));
  } finally {
    reporter.stop();
  }
}
