/**
 * Other container runtimes timed next to podstage when they are installed
 * (podman, containerd's ctr): an absent peer is listed as skipped with the
 * reason, never invented.
 */
import type { BenchContext } from './context.js';
import { detectCtr } from './peers/ctr.js';
import { detectPodman } from './peers/podman.js';
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
  /**
   * The host processes the peer keeps for a running container besides its apps (conmon, a shim).
   * Synchronous (podman's asks podman inspect): call it while no pod's process waits to be reaped.
   */
  monitorPids(name: string): number[];
  /** Remove everything the bench made (containers, the imported image). */
  cleanUp(): void;
}

/** What probing a peer found: the peer, ready to measure, or why it is not measured. */
export type Detection = { peer: Peer } | { reason: string };

const DETECTORS: Record<(typeof PEER_NAMES)[number], (ctx: BenchContext) => Detection> = { podman: detectPodman, ctr: detectCtr };

/** The peers in `wanted` that run here (each has imported the bench's image), and those that do not, with why. */
export function detectPeers(ctx: BenchContext, wanted: readonly string[]): { peers: Peer[]; skipped: Skipped[] } {
  const peers: Peer[] = [];
  const skipped: Skipped[] = [];
  for (const id of PEER_NAMES.filter((p) => wanted.includes(p))) {
    const found = DETECTORS[id](ctx);
    if ('peer' in found) peers.push(found.peer);
    else skipped.push({ id, reason: found.reason });
  }
  return { peers, skipped };
}
