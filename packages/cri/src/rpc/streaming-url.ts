import { status } from '@grpc/grpc-js';
import { GrpcError } from '@podstage/grpc';
import type { CriContext } from '../context.js';
import type { StreamRequest } from '../streaming/requests.js';

/** The streaming server's URL for `request`. */
export function streamingUrl(ctx: CriContext, request: StreamRequest): { url: string } {
  if (ctx.streaming === undefined) throw new GrpcError(status.UNAVAILABLE, 'this CRI server runs no streaming server');
  return { url: ctx.streaming.url(request) };
}

interface StreamFlags { tty: boolean; stdin: boolean; stdout: boolean; stderr: boolean }

/** The CRI's rules for a remote command's streams. */
export function checkStreams(req: StreamFlags): void {
  if (!req.stdin && !req.stdout && !req.stderr) throw new GrpcError(status.INVALID_ARGUMENT, 'one of stdin, stdout or stderr must be true');
  if (req.tty && req.stderr) throw new GrpcError(status.INVALID_ARGUMENT, 'tty and stderr cannot both be true: a terminal carries both outputs');
}
