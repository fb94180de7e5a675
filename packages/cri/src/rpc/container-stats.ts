import { nowNanos } from '@podstage/grpc';
import { containerStats } from '../stats-messages.js';
import { requireContainer } from '../state.js';
import type { Rpc } from './types.js';

export const ContainerStats: Rpc = async (ctx, req: { container_id: string }) => ({ stats: containerStats(requireContainer(ctx.dataDir, req.container_id), nowNanos()) });
