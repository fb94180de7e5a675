/**
 * Host volumes for an app added to a running pod, after nspawn made its binds:
 *   INIT_PID NAME=HOST_PATH...
 * Run on the host by the driver before the app starts (never in the pod's pid
 * namespace, where an app given CAP_SYS_PTRACE could reach a process standing in
 * the host's mount namespace): a detached copy of each host path's mount tree is
 * taken here (open_tree), then attached in the pod's mount namespace, that of its
 * init, at /run/podstage/volumes/NAME (move_mount), where the app's mounts look.
 */
import { closeSync, fstatSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { joinMountNamespaceOf, moveMount, openTreeClone } from '@podstage/linux';
import { hostVolumeInPod } from '../layout.js';

const [init = '', ...specs] = process.argv.slice(2);
try {
  const copies = specs.map((spec) => {
    const at = spec.indexOf('=');
    return { name: spec.slice(0, at), tree: openTreeClone(spec.slice(at + 1)) };
  });
  joinMountNamespaceOf(init);
  for (const { name, tree } of copies) {
    const target = hostVolumeInPod({ name });
    mkdirSync(dirname(target), { recursive: true });
    // A file volume goes on a file.
    if (fstatSync(tree).isDirectory()) mkdirSync(target, { recursive: true });
    else writeFileSync(target, '', { flag: 'a' });
    moveMount(tree, target);
    closeSync(tree);
  }
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(1);
}
