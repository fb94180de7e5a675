/**
 * Start a prepared pod: take its lock, move it to run/, hand the lock and
 * the pod to stage1. From here the pod lives as long as the lock is held.
 * Detach mode: start-detached.ts.
 */
import { DEFAULT_CONFIG_DIR, PodstageError, readPodOptions, writePodOptions, type RunOptions } from '@podstage/contract';
import { lockDir, type DirLock } from '@podstage/linux';
import { handOverRun, readPodStage1 } from '../stage1/invoke.js';
import type { Stage1Registry } from '../stage1/registry.js';
import { move, type PodRef } from './lifecycle.js';
import { resolveNet, setUpNetwork } from './network.js';

export interface LaunchFlags {
  net?: string | undefined;
  /** Where CNI network configurations are (`<dir>/net.d`); DEFAULT_CONFIG_DIR when not given. */
  configDir?: string | undefined;
  insecureOptions?: string[] | undefined;
  interactive: boolean;
  debug: boolean;
}

/** Take the lock, move the pod to run/, record the run options: what both start modes do first. */
export function beginRun(dataDir: string, ref: PodRef, flags: LaunchFlags, held?: DirLock): { opts: RunOptions; lock: DirLock } {
  if (ref.dir !== 'prepared') throw new PodstageError('ERR_PODSTAGE_POD_STATE', `pod ${ref.uuid} is not prepared (it is in ${ref.dir})`);
  const lock = held ?? lockDir(ref.path);
  if (lock === undefined) throw new PodstageError('ERR_PODSTAGE_POD_LOCKED', `pod ${ref.uuid} is locked by another podstage process`);
  const running = move(dataDir, ref, 'run');
  const defaults = readPodOptions(running.path);
  const opts: RunOptions = {
    uuid: ref.uuid,
    podDir: running.path,
    debug: flags.debug,
    net: flags.net === undefined ? defaults.net : resolveNet(flags.net, readPodStage1(running.path).manifest),
    interactive: flags.interactive || defaults.interactive === true,
    mutable: defaults.mutable,
    insecureOptions: flags.insecureOptions ?? defaults.insecureOptions,
    lockFd: lock.fd,
  };
  writePodOptions(running.path, { ...defaults, net: opts.net, insecureOptions: opts.insecureOptions, interactive: opts.interactive });
  return { opts, lock };
}

/** Exec mode (the CLI's): this process becomes the pod's stage1. Never returns. */
export async function launchPod(dataDir: string, stage1s: Stage1Registry, ref: PodRef, flags: LaunchFlags, held?: DirLock): Promise<never> {
  const { opts } = beginRun(dataDir, ref, flags, held);
  return handOverRun(stage1s, readPodStage1(opts.podDir), await setUpNetwork(opts, flags.configDir ?? DEFAULT_CONFIG_DIR));
}
