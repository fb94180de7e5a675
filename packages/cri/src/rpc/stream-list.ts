import type { Streaming } from '@podstage/grpc';
import type { CriContext } from '../context.js';
import type { Rpc } from './types.js';

/**
 * A Stream* RPC (the kubelet's streaming lists) from its List* RPC: the same request and
 * filter, then one item per message, so a client of the chunked form and one of a single
 * item per message read the same bytes; the client going away ends it.
 */
export function streamedList(list: Rpc, listField: string, streamField: string): Streaming<CriContext> {
  return async (ctx, request, write, cancelled) => {
    const response = await list(ctx, request, new AbortController().signal) as Record<string, unknown[] | undefined>;
    for (const item of response[listField] ?? []) {
      if (cancelled()) return;
      write({ [streamField]: [item] });
    }
  };
}
