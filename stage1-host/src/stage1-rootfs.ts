/**
 * The stage1 root filesystem nspawn boots: a skeleton whose /usr is the
 * host's (bound read-only), enough to run the supervisor on podstage's Node.
 * Apps never see it: each is chrooted into its own rootfs. nspawn mounts it read-only.
 */
import { mkdirSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { POD_DIR, STAGE2_DIR } from './layout.js';

/** `mountPoints`: where nspawn binds directories (it cannot create them in a read-only root). */
export function writeStage1Rootfs(root: string, mountPoints: readonly string[]): void {
  for (const d of ['usr', 'etc', 'run', 'tmp', 'proc', 'sys', 'dev', 'opt', 'pod', 'var/tmp']) mkdirSync(join(root, d), { recursive: true });
  for (const [link, target] of [['bin', 'usr/bin'], ['sbin', 'usr/sbin'], ['lib', 'usr/lib'], ['lib64', 'usr/lib64'], [STAGE2_DIR.slice(1), `${POD_DIR}/apps`]] as const) {
    if (!existsSync(join(root, link))) symlinkSync(target, join(root, link));
  }
  // nspawn refuses a directory without an os-release ("doesn't look like an OS tree").
  writeFileSync(join(root, 'etc', 'os-release'), 'ID=podstage-stage1\nNAME="podstage stage1-host"\n');
  writeFileSync(join(root, 'etc', 'passwd'), 'root:x:0:0:root:/:/usr/sbin/nologin\n');
  writeFileSync(join(root, 'etc', 'group'), 'root:x:0:\n');
  for (const target of mountPoints) mkdirSync(join(root, target), { recursive: true });
}
