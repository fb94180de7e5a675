/** One RPC: a request in, a response out, or a thrown error (a CriError or a PodstageError, errors.ts maps it). */
import type { CriContext } from '../context.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Rpc = (ctx: CriContext, request: any) => Promise<object>;
