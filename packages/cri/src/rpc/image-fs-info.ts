import { nowNanos } from '@podstage/grpc';
import type { Rpc } from './types.js';

/** The store's bytes (every image's blobs) on the data directory's file system. */
export const ImageFsInfo: Rpc = async (ctx) => {
  const used = ctx.store.list().reduce((sum, r) => sum + r.size, 0);
  const usage = {
    timestamp: nowNanos().toString(), fs_id: { mountpoint: ctx.dataDir }, used_bytes: { value: String(used) }, inodes_used: null,
  };
  return { image_filesystems: [usage], container_filesystems: [] };
};
