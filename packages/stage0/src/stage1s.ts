/**
 * The built-in stage1s, listed explicitly (containerd's builtins.go): the only
 * place that names them. A built-in is loaded in-process so a pod start pays
 * Node's start-up once; the same package also works when named by --stage1-path.
 */
import type { Stage1Registry } from '@podstage/runtime';

export const STAGE1S: Stage1Registry = {
  builtins: {
    fly: async () => (await import('@podstage/stage1-fly')).stage1,
    host: async () => (await import('@podstage/stage1-host')).stage1,
    runc: async () => (await import('@podstage/stage1-runc')).stage1,
    kvm: async () => (await import('@podstage/stage1-kvm')).stage1,
  },
  defaultName: 'host',
};
