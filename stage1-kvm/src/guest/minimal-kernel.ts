/**
 * The optional minimal guest kernel: Debian's linux-source tree, tinyconfig
 * plus exactly what a podstage guest uses, all built in (no modules), so the
 * guest boots without loading anything and without ACPI. Selected per pod with
 * `podstage.io/kvm-kernel=minimal`; `podstage bench` compares it with Debian's.
 * Output: DIR/vmlinux and DIR/release; rebuilt only when the source package
 * or the fragment below changes.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { PodstageError } from '@podstage/contract';

export const MINIMAL_LOCALVERSION = '-podstage-minimal';

/** On top of tinyconfig. Every line must survive olddefconfig (checked), or the build fails. */
export const MINIMAL_CONFIG = [
  // boot: microvm loads an ELF vmlinux through its PVH entry point; without ACPI (QEMU runs it
  // with acpi=off) the CPUs come from the MP table and the virtio-mmio devices from the command line
  'CONFIG_64BIT=y', 'CONFIG_SMP=y', 'CONFIG_HYPERVISOR_GUEST=y', 'CONFIG_PARAVIRT=y', 'CONFIG_KVM_GUEST=y', 'CONFIG_PVH=y',
  'CONFIG_X86_MPPARSE=y', 'CONFIG_BLK_DEV_INITRD=y', 'CONFIG_BINFMT_ELF=y', 'CONFIG_BINFMT_SCRIPT=y', 'CONFIG_HIGH_RES_TIMERS=y',
  // console, and terminals for exec -t
  'CONFIG_PRINTK=y', 'CONFIG_TTY=y', 'CONFIG_SERIAL_8250=y', 'CONFIG_SERIAL_8250_CONSOLE=y', 'CONFIG_UNIX98_PTYS=y',
  // what busybox and ordinary apps expect of a kernel
  'CONFIG_MULTIUSER=y', 'CONFIG_FUTEX=y', 'CONFIG_EPOLL=y', 'CONFIG_SIGNALFD=y', 'CONFIG_TIMERFD=y', 'CONFIG_EVENTFD=y',
  'CONFIG_AIO=y', 'CONFIG_FILE_LOCKING=y', 'CONFIG_POSIX_TIMERS=y', 'CONFIG_SYSVIPC=y', 'CONFIG_INOTIFY_USER=y', 'CONFIG_FHANDLE=y',
  'CONFIG_PROC_FS=y', 'CONFIG_PROC_SYSCTL=y', 'CONFIG_SYSFS=y', 'CONFIG_DEVTMPFS=y', 'CONFIG_TMPFS=y', 'CONFIG_SHMEM=y',
  // loopback networking for the pod's apps, and virtio-net for pod networks
  'CONFIG_NET=y', 'CONFIG_UNIX=y', 'CONFIG_INET=y', 'CONFIG_IPV6=y', 'CONFIG_NETDEVICES=y', 'CONFIG_NET_CORE=y', 'CONFIG_VIRTIO_NET=y',
  // virtio-mmio devices: 9p shares and the agent's virtio-serial port
  'CONFIG_VIRTIO_MENU=y', 'CONFIG_VIRTIO=y', 'CONFIG_VIRTIO_MMIO=y', 'CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES=y', 'CONFIG_VIRTIO_CONSOLE=y',
  'CONFIG_NETWORK_FILESYSTEMS=y', 'CONFIG_NET_9P=y', 'CONFIG_NET_9P_VIRTIO=y', 'CONFIG_9P_FS=y',
  // each app's limits and isolation inside the guest
  'CONFIG_CGROUPS=y', 'CONFIG_MEMCG=y', 'CONFIG_CGROUP_SCHED=y', 'CONFIG_FAIR_GROUP_SCHED=y', 'CONFIG_CFS_BANDWIDTH=y', 'CONFIG_CGROUP_PIDS=y',
  'CONFIG_SECCOMP=y', 'CONFIG_SECCOMP_FILTER=y', 'CONFIG_NAMESPACES=y', 'CONFIG_PID_NS=y',
  // runc's device allowlist: a BPF_PROG_TYPE_CGROUP_DEVICE program on each app's cgroup
  'CONFIG_BPF_SYSCALL=y', 'CONFIG_CGROUP_BPF=y',
  'CONFIG_ACPI=n', 'CONFIG_MODULES=n', `CONFIG_LOCALVERSION="${MINIMAL_LOCALVERSION}"`, 'CONFIG_LOCALVERSION_AUTO=n',
] as const;

function sourceTarball(): string {
  const dir = '/usr/src';
  const tarball = existsSync(dir) ? readdirSync(dir).filter((f) => /^linux-source-[0-9.]+\.tar\.xz$/.test(f)).sort().at(-1) : undefined;
  if (tarball === undefined) throw new PodstageError('ERR_PODSTAGE_HOST', `no linux-source-*.tar.xz in ${dir}`, { hint: 'apt-get install linux-source flex bison bc libelf-dev (scripts/setup.sh does)' });
  return join(dir, tarball);
}

/** The settings olddefconfig dropped (a dependency missing from the fragment). */
function unmet(config: string): string[] {
  const lines = new Set(config.split('\n'));
  return MINIMAL_CONFIG.filter((want) => (want.endsWith('=n') ? lines.has(`${want.slice(0, -2)}=y`) : !lines.has(want)));
}

async function build(tarball: string, outDir: string): Promise<string> {
  const work = mkdtempSync(join(outDir, 'src-'));
  try {
    await execa('tar', ['-xf', tarball, '-C', work, '--strip-components=1']);
    await execa('make', ['-s', 'tinyconfig'], { cwd: work });
    writeFileSync(join(work, 'podstage.config'), `${MINIMAL_CONFIG.map((l) => (l.endsWith('=n') ? `# ${l.slice(0, -2)} is not set` : l)).join('\n')}\n`);
    await execa('scripts/kconfig/merge_config.sh', ['-m', '.config', 'podstage.config'], { cwd: work });
    await execa('make', ['-s', 'olddefconfig'], { cwd: work });
    const missing = unmet(readFileSync(join(work, '.config'), 'utf8'));
    if (missing.length > 0) throw new PodstageError('ERR_PODSTAGE_HOST', `minimal guest kernel: olddefconfig did not keep ${missing.join(', ')}`);
    await execa('make', ['-s', `-j${cpus().length}`, 'vmlinux'], { cwd: work, stdout: 'ignore' });
    // Renamed into place: a guest booting meanwhile gets the old kernel or the new one, whole.
    copyFileSync(join(work, 'vmlinux'), join(outDir, 'vmlinux.tmp'));
    renameSync(join(outDir, 'vmlinux.tmp'), join(outDir, 'vmlinux'));
    return (await execa('make', ['-s', 'kernelrelease'], { cwd: work })).stdout.trim();
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export async function buildMinimalKernel(outDir: string): Promise<string> {
  mkdirSync(outDir, { recursive: true });
  const tarball = sourceTarball();
  const { size, mtimeMs } = statSync(tarball);
  const recipe = createHash('sha256').update(`${tarball} ${size} ${mtimeMs}`).update(MINIMAL_CONFIG.join('\n')).digest('hex');
  const stamp = join(outDir, 'recipe');
  if (existsSync(join(outDir, 'vmlinux')) && existsSync(stamp) && readFileSync(stamp, 'utf8') === recipe) return readFileSync(join(outDir, 'release'), 'utf8').trim();
  rmSync(stamp, { force: true });
  const release = await build(tarball, outDir);
  writeFileSync(join(outDir, 'release'), `${release}\n`);
  writeFileSync(stamp, recipe);
  return release;
}
