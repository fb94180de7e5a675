/**
 * The built-in stage1s, listed explicitly (containerd's builtins.go). A
 * built-in is loaded in-process so a pod start pays Node's start-up once;
 * the same package also works when named by --stage1-path.
 */
import type { Stage1Implementation } from '@podstage/contract';

export const BUILTIN_STAGE1S: Record<string, () => Promise<Stage1Implementation>> = {
  fly: async () => (await import('@podstage/stage1-fly')).stage1,
  host: async () => (await import('@podstage/stage1-host')).stage1,
  runc: async () => (await import('@podstage/stage1-runc')).stage1,
  kvm: async () => (await import('@podstage/stage1-kvm')).stage1,
};

/** Stage1s whose packages exist but are not implemented yet, with the issue that brings them. */
export const PLANNED_STAGE1S: Record<string, string> = {
};

export const DEFAULT_STAGE1 = 'host';
