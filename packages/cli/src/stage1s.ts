/**
 * The built-in stage1s, listed explicitly (containerd's builtins.go): the only
 * place that names them. A built-in is loaded in-process so a pod start pays
 * Node's start-up once; the same package also works when named by --stage1-path.
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Stage1Implementation } from '@podstage/contract';
import type { Stage1Registry } from '@podstage/runtime';

const PACKAGES: Record<string, string> = {
  fly: '@podstage/stage1-fly',
  host: '@podstage/stage1-host',
  runc: '@podstage/stage1-runc',
  kvm: '@podstage/stage1-kvm',
};

export const STAGE1S: Stage1Registry = {
  builtins: Object.fromEntries(Object.entries(PACKAGES).map(([name, pkg]) => [name, async () => ((await import(pkg)) as { stage1: Stage1Implementation }).stage1])),
  // A stage1 package is its stage1 directory: dist/index.js sits two levels below it.
  builtinDir: (name) => dirname(dirname(fileURLToPath(import.meta.resolve(PACKAGES[name] as string)))),
  defaultName: 'host',
};
