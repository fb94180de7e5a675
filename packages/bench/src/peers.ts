/**
 * Other container runtimes timed next to podstage when they are installed
 * (podman, containerd's ctr): an absent peer is listed as skipped with the
 * reason, never invented.
 */
import type { BenchContext } from './context.js';
import type { Skipped } from './report.js';

export const PEER_NAMES = ['podman', 'ctr'] as const;

export interface Peer {
  id: string;
  label: string;
  /** How it had to be run on this host (e.g. podman with runc and lowered ulimits), for the report. */
  notes: string[];
  /**
   * The command that runs `args` in a new container of the bench's image, with the
   * bench's programs at POD_BIN and its out directory at POD_OUT, and removes it.
   */
  runArgv(i: number, args: string[]): string[];
  /** Start `args` in a detached container; its name. */
  start(i: number, args: string[]): Promise<string>;
  /** Stop (SIGTERM, then SIGKILL) and remove it. */
  stop(name: string): Promise<void>;
  /** The host processes the peer keeps for a running container besides its apps (conmon, a shim). */
  monitorPids(name: string): number[];
  /** Remove everything the bench made (containers, the imported image). */
  cleanUp(): void;
}

export function detectPeers(_ctx: BenchContext, _wanted: readonly string[]): { peers: Peer[]; skipped: Skipped[] } {
  return { peers: [], skipped: [] };
}
