/**
 * Pod manifest → the QEMU command line and the guest's pod script (pure).
 * The pod directory is shared with the guest over 9p; apps run chrooted in
 * their overlay roots inside the guest, under the guest kernel.
 */
import {
  cpuLimitMillis, effectiveIsolators, ISOLATOR, memoryLimitBytes, PodstageError, type PodManifest, type Stage1CheckOptions,
} from '@podstage/contract';
import type { AppPlan } from '@podstage/stage1-common';
import type { Accelerator } from './accel.js';

export const GUEST_OVERHEAD_MIB = 128;
/** Debian's kernel panics below this. */
export const MIN_GUEST_MIB = 256;
export const KERNEL_CMDLINE = 'console=ttyS0 quiet loglevel=0 reboot=t panic=-1 tsc_early_khz=2100000';
export const KERNEL_ANNOTATION = 'podstage.io/kvm-kernel';
export const INITRD_ANNOTATION = 'podstage.io/kvm-initrd';
export const CMDLINE_ANNOTATION = 'podstage.io/kvm-cmdline';
export const HALT_TIMEOUT_ANNOTATION = 'podstage.io/kvm-halt-timeout-seconds';
/** How long a guest may take to halt once all its apps have exited before QEMU is killed. */
export const DEFAULT_HALT_TIMEOUT_S = 10;

function refuse(what: string, hint: string): never {
  throw new PodstageError('ERR_PODSTAGE_UNSUPPORTED', `stage1 kvm: ${what}`, { hint });
}

export function checkKvmSupport(m: PodManifest, o: Stage1CheckOptions): void {
  if (o.net !== 'none' && o.net !== 'default') refuse(`--net=${o.net}: a VM cannot share the host's network; pod networks come with CNI`, 'use --net=none (the default for kvm)');
  if (o.mutable) refuse('mutable pods need the guest control channel, not there yet', 'use --stage1-name=host or runc');
  for (const app of m.apps) {
    if ((app.mounts ?? []).length > 0) refuse(`apps[${app.name}]: volumes are not shared into the guest yet`, 'use --stage1-name=host or runc');
    for (const iso of [...(m.isolators ?? []), ...(app.app.isolators ?? [])]) {
      if (iso.name !== ISOLATOR.cpu && iso.name !== ISOLATOR.memory) refuse(`${iso.name} is not enforced inside the guest yet (the guest kernel is the boundary)`, 'use --stage1-name=host or runc');
    }
  }
}

/** Guest size: the apps' memory limits plus a fixed overhead (rkt's +128 MiB); vCPUs from the cpu limits. */
export function guestResources(m: PodManifest): { memMiB: number; cpus: number } {
  let mem = 0;
  let cpus = 1;
  for (const app of m.apps) {
    const iso = effectiveIsolators(m.isolators, app.app.isolators);
    mem += Math.ceil((memoryLimitBytes(iso) ?? 0) / 2 ** 20);
    cpus = Math.max(cpus, Math.ceil((cpuLimitMillis(iso) ?? 0) / 1000));
  }
  return { memMiB: Math.max(MIN_GUEST_MIB, GUEST_OVERHEAD_MIB + mem), cpus };
}

export interface QemuContext {
  kernel: string;
  initrd: string;
  cmdline: string;
  podDir: string;
  accel: Accelerator;
  memMiB: number;
  cpus: number;
}

export function qemuArgs(c: QemuContext): string[] {
  return [
    '-M', 'microvm,x-option-roms=off,pit=on,rtc=on',
    '-accel', c.accel.accel, '-cpu', c.accel.cpu,
    '-m', `${c.memMiB}M`, '-smp', String(c.cpus),
    '-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot',
    '-kernel', c.kernel, '-initrd', c.initrd, '-append', c.cmdline,
    '-serial', 'stdio',
    // multidevs=remap: the pod directory holds the apps' overlay mounts (other devices).
    '-fsdev', `local,id=pod,path=${c.podDir},security_model=none,multidevs=remap`,
    '-device', 'virtio-9p-device,fsdev=pod,mount_tag=pod',
  ];
}

/** POSIX shell single-quoting. */
export const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

const BUSYBOX = '/proc/1/root/bin/busybox';

/**
 * The guest's pod script: each app chrooted in /pod/apps/<app>/rootfs with
 * /proc, /sys, /dev and a tmpfs /tmp, its environment, working directory and
 * uid/gid (busybox start-stop-daemon, reached through /proc/1/root from
 * inside the chroot), all apps in parallel; each exit status is written next to the app.
 */
export const STOP_REQUEST = 'stage1/kvm/stop';
export const GUEST_STOP_TIMEOUT_S = 10;

export function guestPodScript(plans: AppPlan[]): string {
  const lines = ['#!/bin/sh', '# written by stage1-kvm for this pod; run by the guest init', 'subshells=""'];
  for (const p of plans) {
    const root = `/pod/apps/${p.name}/rootfs`;
    const env = Object.entries(p.env).map(([k, v]) => shellQuote(`${k}=${v}`)).join(' ');
    // start-stop-daemon -S execs in the foreground with the uid:gid (busybox has no chpst/setpriv --reuid);
    // -p names a pidfile that never exists, so it never finds a "running" copy to refuse for.
    const [prog, ...rest] = p.exec as [string, ...string[]];
    const user = ['start-stop-daemon', '-S', '-p', '/nonexistent.pid', '-c', `${p.identity.uid}:${p.identity.gid}`, '-a', shellQuote(prog), '--', ...rest.map(shellQuote)];
    const args = [shellQuote(p.cwd), env, BUSYBOX, ...user].filter((x) => x !== '').join(' ');
    const dir = `/pod/apps/${p.name}`;
    lines.push(
      `R=${shellQuote(root)}`,
      'for d in proc sys dev tmp; do mkdir -p "$R/$d"; done',
      'mount -t proc proc "$R/proc"; mount -t sysfs sys "$R/sys"; mount -t devtmpfs dev "$R/dev"; mount -t tmpfs -o mode=1777 tmp "$R/tmp"',
      // Every step execs in place, so $! is the app itself: its pid is kept for stop.
      `(chroot "$R" ${BUSYBOX} sh -c 'cd "$0" && exec ${BUSYBOX} env -i "$@"' ${args} </dev/null >${dir}/guest.stdout 2>${dir}/guest.stderr & echo $! > /run-${p.name}.pid; wait $!; echo $? > ${dir}/exit) &`,
      'subshells="$subshells $!"',
    );
  }
  lines.push(
    '# stop: the host leaves a request in the pod directory; apps get SIGTERM, then SIGKILL',
    `(while [ ! -e /pod/${STOP_REQUEST} ]; do sleep 0.2; done; kill -TERM $(cat /run-*.pid) 2>/dev/null;`
      + ` grep -qx force /pod/${STOP_REQUEST} || sleep ${GUEST_STOP_TIMEOUT_S}; kill -KILL $(cat /run-*.pid) 2>/dev/null) &`,
    'wait $subshells',
    'sync',
  );
  return `${lines.join('\n')}\n`;
}
