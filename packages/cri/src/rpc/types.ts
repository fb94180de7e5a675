/** One RPC: a request in, a response out, or a thrown error (a GrpcError or a PodstageError: @podstage/grpc's toStatus maps it). */
import type { Unary } from '@podstage/grpc';
import type { CriContext } from '../context.js';

export type Rpc = Unary<CriContext>;
