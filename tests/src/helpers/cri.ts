/**
 * A CRI client built from podstage's own api.proto (@grpc/grpc-js), talking to
 * a real `podstage cri` server process on a socket in the test's sandbox.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { credentials, type Client, type ServiceError } from '@grpc/grpc-js';
import { criServices } from '@podstage/cri/proto';
import { execa, type ResultPromise } from 'execa';
import { PODSTAGE, type Sandbox } from './podstage.js';
import { waitFor } from './wait.js';

export type Call = <T = Record<string, unknown>>(method: string, request?: object) => Promise<T>;

export interface CriServer {
  socket: string;
  runtime: Call;
  image: Call;
  /** SIGTERM the server and wait for it. */
  stop(): Promise<void>;
}

function caller(client: Client): Call {
  return (method, request = {}) => new Promise((resolve, reject) => {
    (client as unknown as Record<string, (req: object, cb: (err: ServiceError | null, res: unknown) => void) => void>)[method]!(request, (err, res) => (err ? reject(err) : resolve(res as never)));
  });
}

export interface CriServerOptions {
  /** podstage's global flags (--insecure-options=image …). */
  global?: string[];
  /** grpc-js channel options of the clients (grpc.default_authority …). */
  channel?: Record<string, string>;
}

/** Serve the sandbox's data directory, with CNI configurations from `config`. */
export async function startCriServer(sb: Sandbox, config: string, o: CriServerOptions = {}): Promise<CriServer> {
  const socket = join(sb.dir, 'cri.sock');
  const options = o.channel ?? {};
  const child: ResultPromise = execa(PODSTAGE, ['--dir', sb.dir, `--config=${config}`, ...(o.global ?? []), 'cri', `--listen=unix://${socket}`], { reject: false, stdin: 'ignore' });
  await waitFor('the CRI socket', () => (existsSync(socket) ? true : undefined));
  const { RuntimeService, ImageService } = criServices();
  const runtime = new RuntimeService(`unix://${socket}`, credentials.createInsecure(), options);
  const image = new ImageService(`unix://${socket}`, credentials.createInsecure(), options);
  return {
    socket,
    runtime: caller(runtime),
    image: caller(image),
    stop: async () => {
      runtime.close();
      image.close();
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
