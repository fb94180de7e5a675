/** What the API service reads: the data directory (pods and the image store) and what GetInfo reports of the node's set-up. */
import type { ImageStore } from '@podstage/images';

export interface ApiContext {
  dataDir: string;
  configDir: string;
  store: ImageStore;
  /** Expanded --insecure-options of the serving process, for GetInfo. */
  insecureOptions: string[];
  /** How often ListenEvents and a followed GetLogs look again (ms). */
  pollMs: number;
}
