/**
 * A CRI client built from podstage's own api.proto (@grpc/grpc-js), talking to
 * a real `podstage cri` server process on a socket in the test's sandbox.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ServiceError } from '@grpc/grpc-js';
import { connectCri, type CriCall, type CriStream } from '@podstage/cri/proto';
import { execa, type ResultPromise } from 'execa';
import { PODSTAGE, type Sandbox } from './podstage.js';
import { waitFor } from './wait.js';

export interface CriServer {
  socket: string;
  runtime: CriCall;
  image: CriCall;
  runtimeStream: CriStream;
  imageStream: CriStream;
  /** SIGTERM the server and wait for it. */
  stop(): Promise<void>;
}

export interface CriServerOptions {
  /** podstage's global flags (--insecure-options=image …). */
  global?: string[];
  /** Flags of the cri command (--seccomp-when-empty=Unconfined …). */
  cri?: string[];
  /** grpc-js channel options of the clients (grpc.default_authority …). */
  channel?: Record<string, string>;
}

/** Serve the sandbox's data directory, with CNI configurations from `config`. */
export async function startCriServer(sb: Sandbox, config: string, o: CriServerOptions = {}): Promise<CriServer> {
  const socket = join(sb.dir, 'cri.sock');
  const child: ResultPromise = execa(PODSTAGE, ['--dir', sb.dir, `--config=${config}`, ...(o.global ?? []), 'cri', `--listen=unix://${socket}`, ...(o.cri ?? [])], { reject: false, stdin: 'ignore' });
  await waitFor('the CRI socket', () => (existsSync(socket) ? true : undefined));
  const client = connectCri(`unix://${socket}`, o.channel);
  return {
    socket,
    runtime: client.runtime,
    image: client.image,
    runtimeStream: client.runtimeStream,
    imageStream: client.imageStream,
    stop: async () => {
      client.close();
      child.kill('SIGTERM');
      await child;
    },
  };
}

/** The error a call that must fail failed with. */
export async function rejection(p: Promise<unknown>): Promise<ServiceError> {
  try {
    await p;
  } catch (err) {
    return err as ServiceError;
  }
  throw new Error('expected the call to fail');
}
