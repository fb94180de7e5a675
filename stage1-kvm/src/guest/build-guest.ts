/**
 * Builds the default guest for stage1-kvm from Debian's packages, never
 * installing anything into /boot: the newest linux-image-amd64 kernel is
 * downloaded (apt-get download) and unpacked (dpkg -x); its bzImage is
 * decompressed to an ELF vmlinux (microvm boots it directly, no firmware);
 * an initramfs holds busybox-static, the virtio/9p/virtio-serial modules,
 * /init, the agent, podstage-exec-app (guest/exec-app.c) and podstage-tty (guest/guest-tty.c), linked statically.
 * Beside it, the host's end of the guest, kvm-io (host/kvm-io.c).
 * Output: DIR/vmlinux, DIR/initrd.cpio, DIR/release, DIR/kvm-io. Idempotent.
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { PodstageError } from '@podstage/contract';
import { AGENT_SCRIPT } from './agent-script.js';
import { GUEST_MODULES, INIT_SCRIPT } from './init-script.js';

const EXEC_APP_SOURCE = fileURLToPath(new URL('../../src/guest/exec-app.c', import.meta.url));
const GUEST_TTY_SOURCE = fileURLToPath(new URL('../../src/guest/guest-tty.c', import.meta.url));
const KVM_IO_SOURCE = fileURLToPath(new URL('../../src/host/kvm-io.c', import.meta.url));
const XZ_MAGIC = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);

async function kernelPackage(): Promise<string> {
  const lookup = async () => /Depends: (linux-image-[0-9][^\s]*)/.exec(String((await execa('apt-cache', ['depends', 'linux-image-amd64'], { reject: false })).stdout))?.[1];
  let pkg = await lookup();
  if (pkg === undefined) {
    // A machine whose package lists were never fetched: fetch them once.
    await execa('apt-get', ['update', '-qq'], { reject: false });
    pkg = await lookup();
  }
  if (pkg === undefined) throw new PodstageError('ERR_PODSTAGE_HOST', 'apt-cache does not know linux-image-amd64', { hint: 'run apt-get update (scripts/setup.sh does)' });
  return pkg;
}

/** bzImage → vmlinux: the xz payload starts at the xz magic; decompress one stream. */
async function extractVmlinux(bzImage: string, out: string): Promise<void> {
  const data = readFileSync(bzImage);
  const at = data.indexOf(XZ_MAGIC);
  if (at < 0) throw new PodstageError('ERR_PODSTAGE_HOST', `${bzImage}: no xz payload found (is the kernel built with CONFIG_KERNEL_XZ?)`);
  const r = await execa('xz', ['-dc', '--single-stream'], { input: data.subarray(at), encoding: 'buffer', reject: false });
  if (r.stdout.length === 0) throw new PodstageError('ERR_PODSTAGE_HOST', `${bzImage}: xz could not decompress the kernel: ${String(r.stderr)}`);
  writeFileSync(out, r.stdout);
}

function findModule(modulesDir: string, name: string): string {
  const stack = [modulesDir];
  while (stack.length > 0) {
    const dir = stack.pop() as string;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) stack.push(join(dir, e.name));
      else if (e.name === `${name}.ko`) return join(dir, e.name);
    }
  }
  throw new PodstageError('ERR_PODSTAGE_HOST', `kernel module ${name}.ko not found under ${modulesDir}`);
}

/** A static C helper from `source` (renamed into place: a pod starting meanwhile runs the old one or the new one). */
async function compile(source: string, out: string): Promise<void> {
  const r = await execa('gcc', ['-static', '-Os', '-s', '-Wall', '-Wextra', '-Werror', '-o', `${out}.tmp`, source], { reject: false });
  if (r.failed) {
    const missing = (r as { code?: string }).code === 'ENOENT';
    throw new PodstageError('ERR_PODSTAGE_HOST', missing ? 'gcc is missing' : `gcc could not build ${source}: ${String(r.stderr)}`, { hint: 'apt-get install gcc libc6-dev (scripts/setup.sh does)' });
  }
  renameSync(`${out}.tmp`, out);
}

/** kvm-io, rebuilt when its source changes. */
async function buildKvmIo(outDir: string): Promise<void> {
  const out = join(outDir, 'kvm-io');
  const recipe = createHash('sha256').update(readFileSync(KVM_IO_SOURCE)).digest('hex');
  const stamp = `${out}.recipe`;
  if (existsSync(out) && existsSync(stamp) && readFileSync(stamp, 'utf8') === recipe) return;
  await compile(KVM_IO_SOURCE, out);
  writeFileSync(stamp, recipe);
}

/** The initramfs from the cached modules; rebuilt whenever the init script or module list changes. */
async function buildInitramfs(modulesDir: string, release: string, out: string): Promise<void> {
  const root = mkdtempSync(join(out, '..', 'initramfs-'));
  try {
    for (const d of ['bin', 'lib/modules', 'proc', 'sys', 'dev', 'mnt', 'pod']) mkdirSync(join(root, d), { recursive: true });
    copyFileSync('/bin/busybox', join(root, 'bin', 'busybox'));
    chmodSync(join(root, 'bin', 'busybox'), 0o755);
    for (const m of GUEST_MODULES) copyFileSync(join(modulesDir, `${m}.ko`), join(root, 'lib', 'modules', `${m}.ko`));
    writeFileSync(join(root, 'lib', 'modules', 'release'), `${release}\n`);
    writeFileSync(join(root, 'init'), INIT_SCRIPT, { mode: 0o755 });
    writeFileSync(join(root, 'bin', 'podstage-agent'), AGENT_SCRIPT, { mode: 0o755 });
    await compile(EXEC_APP_SOURCE, join(root, 'bin', 'podstage-exec-app'));
    await compile(GUEST_TTY_SOURCE, join(root, 'bin', 'podstage-tty'));
    const files = ['.', 'bin', 'bin/busybox', 'bin/podstage-agent', 'bin/podstage-exec-app', 'bin/podstage-tty', 'lib', 'lib/modules', ...GUEST_MODULES.map((m) => `lib/modules/${m}.ko`), 'lib/modules/release', 'proc', 'sys', 'dev', 'mnt', 'pod', 'init'];
    const cpio = await execa('/bin/busybox', ['cpio', '-o', '-H', 'newc'], { cwd: root, input: `${files.join('\n')}\n`, encoding: 'buffer' });
    // Renamed into place: a guest booting meanwhile reads the old initramfs or the new one, whole.
    writeFileSync(`${out}.tmp`, cpio.stdout);
    renameSync(`${out}.tmp`, out);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

async function fetchKernel(pkg: string, release: string, outDir: string): Promise<void> {
  const work = mkdtempSync(join(outDir, 'download-'));
  try {
    const dl = await execa('apt-get', ['download', pkg], { cwd: work, reject: false });
    const deb = readdirSync(work).find((f) => f.endsWith('.deb'));
    if (deb === undefined) throw new PodstageError('ERR_PODSTAGE_HOST', `apt-get download ${pkg} failed: ${String(dl.stderr).trim()}`);
    await execa('dpkg', ['-x', join(work, deb), join(work, 'unpacked')]);
    await extractVmlinux(join(work, 'unpacked', 'boot', `vmlinuz-${release}`), join(outDir, 'vmlinux'));
    rmSync(join(outDir, 'modules'), { recursive: true, force: true });
    mkdirSync(join(outDir, 'modules'));
    const modulesDir = join(work, 'unpacked', 'lib', 'modules', release);
    for (const m of GUEST_MODULES) copyFileSync(findModule(modulesDir, m), join(outDir, 'modules', `${m}.ko`));
    writeFileSync(join(outDir, 'release'), `${release}\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export async function buildGuest(outDir: string): Promise<string> {
  mkdirSync(outDir, { recursive: true });
  const pkg = await kernelPackage();
  const release = pkg.replace(/^linux-image-/, '');
  const have = existsSync(join(outDir, 'release')) ? readFileSync(join(outDir, 'release'), 'utf8').trim() : '';
  const complete = existsSync(join(outDir, 'vmlinux')) && GUEST_MODULES.every((m) => existsSync(join(outDir, 'modules', `${m}.ko`)));
  if (have !== release || !complete) await fetchKernel(pkg, release, outDir);
  const recipe = createHash('sha256').update(INIT_SCRIPT).update(AGENT_SCRIPT).update(readFileSync(EXEC_APP_SOURCE)).update(readFileSync(GUEST_TTY_SOURCE)).update(GUEST_MODULES.join(',')).update(release).update(readFileSync('/bin/busybox')).digest('hex');
  const stamp = join(outDir, 'initrd.recipe');
  if (!existsSync(join(outDir, 'initrd.cpio')) || !existsSync(stamp) || readFileSync(stamp, 'utf8') !== recipe) {
    await buildInitramfs(join(outDir, 'modules'), release, join(outDir, 'initrd.cpio'));
    writeFileSync(stamp, recipe);
  }
  await buildKvmIo(outDir);
  return release;
}
