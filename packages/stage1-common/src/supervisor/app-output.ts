/** Where one app's stdout and stderr go: its CRI log, the pod's own stdio, or nowhere. */
import type { Readable } from 'node:stream';
import type { WriteStream } from 'node:fs';
import { CriLineSplitter, openCriLog, type LogStream } from '../cri-log.js';
import type { OutputMode } from '@podstage/contract';

export interface AppOutput {
  attach(stream: LogStream, from: Readable | null): void;
  close(): Promise<void>;
}

export function appOutput(logPath: string, modes: Record<LogStream, OutputMode>): AppOutput {
  let log: WriteStream | undefined;
  const pending: Promise<void>[] = [];
  return {
    attach(stream, from) {
      if (from === null) return;
      const mode = modes[stream];
      if (mode === 'null') {
        from.resume();
        return;
      }
      log ??= openCriLog(logPath);
      const sink = log;
      const splitter = new CriLineSplitter(stream, (record) => sink.write(record));
      const tee = mode === 'stream' ? (stream === 'stdout' ? process.stdout : process.stderr) : undefined;
      from.on('data', (chunk: Buffer) => {
        splitter.push(chunk);
        tee?.write(chunk);
      });
      pending.push(new Promise((resolve) => from.on('close', () => {
        splitter.end();
        resolve();
      })));
    },
    async close() {
      await Promise.all(pending);
      if (log !== undefined) await new Promise<void>((resolve) => log!.end(resolve));
    },
  };
}
