import type { Stage1Implementation } from '@podstage/contract';

/**
 * The stage1s a front end offers by name, loaded in-process so a pod start pays
 * Node's start-up once (the CLI's list is containerd's builtins.go). Any other
 * stage1 is a directory (ABI.md) and needs no registration.
 */
export interface Stage1Registry {
  builtins: Readonly<Record<string, () => Promise<Stage1Implementation>>>;
  /**
   * A built-in's stage1 directory (its package: stage1.json and bin/): where a pod started
   * in detach mode runs its `run` entrypoint as a process of its own.
   */
  builtinDir(name: string): string;
  /** The stage1 a pod gets when neither the caller nor the pod's annotations choose one. */
  defaultName: string;
}
