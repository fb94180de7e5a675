/** One RPC: a request in, a response out, or a thrown error (a CriError or a PodstageError, errors.ts maps it). */
import type { Unary } from '@podstage/grpc';
import type { CriContext } from '../context.js';

export type Rpc = Unary<CriContext>;
