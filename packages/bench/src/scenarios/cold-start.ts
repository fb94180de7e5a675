/**
 * Cold start to exit: `podstage run … -- /bin/true` per stage1, exactly as a
 * user types it, next to the raw isolators on the same root filesystem and
 * `node -e 0` (the floor of any Node program).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const CGROUP_ROOT = '/sys/fs/cgroup';

export interface Variant {
  id: string;
  label: string;
  /** What it is measured against: podstage through the CLI, or a raw isolator / Node. */
  kind: 'podstage' | 'baseline';
  /** The command of run `i` (an OCI runtime needs a fresh container id each time). */
  argv(i: number): string[];
}

export interface Skipped {
  id: string;
  reason: string;
}

export interface ColdStartSetup {
  /** bin/podstage. */
  cli: string;
  /** The data directory holding the image (podstage's own, or the bench's). */
  dataDir: string;
  image: string;
  /** stage1 variants to time: fly, host, runc, crun, kvm. */
  stage1s: readonly string[];
  /** A scratch directory for the baselines' root filesystem and OCI bundle. */
  workDir: string;
}

const onPath = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

function run(argv: string[]): void {
  const r = spawnSync(argv[0] as string, argv.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr || r.error?.message || `exit ${r.status}`}`);
}

/** The image's tree once, for every baseline (nspawn wants an os-release to call it an OS tree). */
function rootfs(o: ColdStartSetup): string {
  const dir = join(o.workDir, 'rootfs');
  if (!existsSync(join(dir, 'bin'))) run([o.cli, `--dir=${o.dataDir}`, 'image', 'extract', '--rootfs-only', '--overwrite', o.image, dir]);
  if (!existsSync(join(dir, 'etc', 'os-release'))) {
    mkdirSync(join(dir, 'etc'), { recursive: true });
    writeFileSync(join(dir, 'etc', 'os-release'), 'ID=podstage-bench\n');
  }
  return dir;
}

/** `runc spec`'s bundle on the rootfs, running /bin/true without a terminal, in a cgroup path of the bench's own. */
function ociBundle(o: ColdStartSetup, root: string): string {
  const bundle = join(o.workDir, 'bundle');
  mkdirSync(bundle, { recursive: true });
  run(['sh', '-c', `cd ${bundle} && rm -f config.json && runc spec`]);
  const config = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')) as {
    process: { terminal: boolean; args: string[] }; root: { path: string; readonly: boolean }; linux: { cgroupsPath?: string };
  };
  config.process.terminal = false;
  config.process.args = ['/bin/true'];
  config.root = { path: root, readonly: true };
  config.linux.cgroupsPath = '/podstage-bench/runc';
  writeFileSync(join(bundle, 'config.json'), JSON.stringify(config, null, 2));
  return bundle;
}

export function coldStartVariants(o: ColdStartSetup): { variants: Variant[]; skipped: Skipped[] } {
  const variants: Variant[] = [];
  const skipped: Skipped[] = [];
  for (const s of o.stage1s) {
    const flags = s === 'crun' ? ['--stage1-name=runc', '--runtime=crun'] : [`--stage1-name=${s}`];
    variants.push({
      id: `podstage-${s}`, label: `podstage run (${s})`, kind: 'podstage',
      argv: (i) => [o.cli, `--dir=${o.dataDir}`, 'run', ...flags, `--uuid-file-save=${join(o.workDir, `pod-${i}.uuid`)}`, o.image, '--', '/bin/true'],
    });
  }
  variants.push({ id: 'node', label: 'node -e 0', kind: 'baseline', argv: () => [process.execPath, '-e', '0'] });
  const root = rootfs(o);
  variants.push({ id: 'chroot', label: 'unshare -m + chroot', kind: 'baseline', argv: () => ['unshare', '-m', '--propagation', 'private', 'chroot', root, '/bin/true'] });
  if (onPath('systemd-nspawn')) {
    variants.push({
      id: 'nspawn', label: 'systemd-nspawn', kind: 'baseline',
      argv: () => ['systemd-nspawn', '-q', '--register=no', '--keep-unit', '--console=pipe', '-D', root, '/bin/true'],
    });
  } else skipped.push({ id: 'nspawn', reason: 'systemd-nspawn is not installed (apt-get install systemd-container)' });
  if (onPath('runc')) {
    const bundle = ociBundle(o, root);
    variants.push({ id: 'runc', label: 'runc run', kind: 'baseline', argv: (i) => ['runc', 'run', '-b', bundle, `podstage-bench-${process.pid}-${i}`] });
  } else skipped.push({ id: 'runc', reason: 'runc is not installed (apt-get install runc)' });
  for (const peer of ['podman', 'ctr']) {
    if (!onPath(peer)) skipped.push({ id: peer, reason: `${peer} is not installed` });
  }
  return { variants, skipped };
}

/** Remove the pods the runs made (and only those) and the cgroup the OCI baseline ran in. */
export function cleanUpColdStart(o: ColdStartSetup): void {
  const uuids = readdirSync(o.workDir).filter((f) => f.endsWith('.uuid')).map((f) => readFileSync(join(o.workDir, f), 'utf8').trim());
  if (uuids.length > 0) spawnSync(o.cli, [`--dir=${o.dataDir}`, 'rm', ...uuids], { stdio: 'ignore' });
  for (const h of readdirSync(CGROUP_ROOT)) {
    try {
      rmdirSync(join(CGROUP_ROOT, h, 'podstage-bench'));
    } catch {
      // not there, or not this hierarchy
    }
  }
}
