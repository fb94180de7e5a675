/**
 * A kvm pod on the host: its overlays mounted, the guest pod script written,
 * then QEMU run as a child of this process, which stays to turn the apps' exit
 * statuses into the pod's exit code and to stop QEMU when asked (SIGTERM).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  pod, PodstageError, readAppExitStatus, readPodManifest, readPodOptions, writeFileAtomic, writePidFile, type PodManifest, type RunOptions,
} from '@podstage/contract';
import { createCgroup, joinCgroup, mountAppRootfs, planApp, podCgroup, unmountAppRootfs } from '@podstage/stage1-common';
import { detectAccelerator } from '../accel.js';
import { followApps } from '../guest-output.js';
import {
  checkKvmSupport, CMDLINE_ANNOTATION, DEFAULT_HALT_TIMEOUT_S, guestPodScript, HALT_TIMEOUT_ANNOTATION, guestResources, INITRD_ANNOTATION, KERNEL_ANNOTATION, KERNEL_CMDLINE, qemuArgs,
} from '../translate.js';

export const QEMU = '/usr/bin/qemu-system-x86_64';
const installRoot = dirname(dirname(dirname(dirname(fileURLToPath(import.meta.url)))));
export const DEFAULT_GUEST_DIR = join(installRoot, 'build', 'guest');

function annotation(m: PodManifest, name: string): string | undefined {
  return m.annotations?.find((a) => a.name === name)?.value;
}

function requireFile(path: string, what: string): string {
  if (!existsSync(path)) throw new PodstageError('ERR_PODSTAGE_HOST', `stage1 kvm: ${what} ${path} is missing`, { hint: 'scripts/setup.sh builds the default guest (build/guest)' });
  return path;
}

/** Once every app has an exit status, the guest has `timeoutS` to halt. */
function watchForHalt(podDir: string, apps: string[], timeoutS: number, kill: () => void): NodeJS.Timeout {
  let deadline: number | undefined;
  return setInterval(() => {
    if (deadline === undefined) {
      if (apps.every((a) => readAppExitStatus(podDir, a) !== undefined)) deadline = Date.now() + timeoutS * 1000;
    } else if (Date.now() > deadline) kill();
  }, 200);
}

export async function run(o: RunOptions): Promise<never> {
  const m = readPodManifest(o.podDir);
  const options = readPodOptions(o.podDir);
  checkKvmSupport(m, { ...options, net: o.net, mutable: o.mutable, insecureOptions: o.insecureOptions });
  requireFile(QEMU, 'QEMU (apt-get install qemu-system-x86)');
  const kernel = requireFile(annotation(m, KERNEL_ANNOTATION) ?? join(DEFAULT_GUEST_DIR, 'vmlinux'), 'guest kernel');
  const initrd = requireFile(annotation(m, INITRD_ANNOTATION) ?? join(DEFAULT_GUEST_DIR, 'initrd.cpio'), 'guest initramfs');
  const plans = m.apps.map((a) => planApp(o.podDir, m, a.name, o.insecureOptions));
  const accel = detectAccelerator();
  writePidFile(o.podDir, process.pid);
  writeFileAtomic(pod.started(o.podDir), `${new Date().toISOString()}\n`);
  mkdirSync(join(o.podDir, 'stage1', 'kvm'), { recursive: true });
  writeFileSync(join(o.podDir, 'stage1', 'kvm', 'accelerator'), `${accel.accel} (${accel.reason})\n`);
  writeFileAtomic(join(o.podDir, 'stage1', 'kvm', 'pod.sh'), guestPodScript(plans));
  for (const p of plans) mountAppRootfs(o.podDir, p.name);
  // QEMU (our child) lives in the pod's cgroup, so the whole VM is accounted and limited there.
  createCgroup(podCgroup(o.uuid));
  joinCgroup(podCgroup(o.uuid));
  if (o.debug) process.stderr.write(`stage1 kvm: accelerator ${accel.accel}: ${accel.reason}\n`);
  const cmdline = [KERNEL_CMDLINE, annotation(m, CMDLINE_ANNOTATION)].filter(Boolean).join(' ');
  const output = followApps(o.podDir, plans.map((p) => p.name), { stdout: options.stdout ?? 'stream', stderr: options.stderr ?? 'stream' });
  // The serial console carries only what the guest's init says (to our stderr); apps' output comes through followApps.
  const qemu = spawn(QEMU, qemuArgs({ kernel, initrd, cmdline, podDir: o.podDir, accel, ...guestResources(m) }), { stdio: ['ignore', 2, 2] });
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => qemu.kill('SIGTERM'));
  const exited = new Promise<number>((resolve) => qemu.on('exit', (c) => resolve(c ?? 255)));
  const haltTimeoutS = Number(annotation(m, HALT_TIMEOUT_ANNOTATION) ?? DEFAULT_HALT_TIMEOUT_S);
  const watchdog = watchForHalt(o.podDir, plans.map((p) => p.name), haltTimeoutS, () => {
    process.stderr.write(`stage1 kvm: the guest did not halt within ${haltTimeoutS} s after its apps exited: killing QEMU\n`);
    qemu.kill('SIGKILL');
  });
  const code = await exited;
  clearInterval(watchdog);
  await output.finish();
  for (const p of plans) unmountAppRootfs(o.podDir, p.name);
  const statuses = plans.map((p) => readAppExitStatus(o.podDir, p.name));
  // No status at all: the guest died or was stopped before the apps ended.
  const exit = statuses.every((s) => s === undefined) ? (code === 0 ? 255 : 128 + 15) : (statuses.find((s) => s !== undefined && s !== 0) ?? 0);
  process.exit(exit);
}
