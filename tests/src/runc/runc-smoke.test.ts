/**
 * stage1-runc's configs under the real runc, as root: a sandbox container from
 * sandboxConfig, an app container from appConfig joining its namespaces, then
 * a clean stop. Busybox-only root filesystems, no podstage binary involved.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { accessSync, chmodSync, constants, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { test } from '../helpers/suite.js';
import * as assert from 'uvu/assert';
import { CAPABILITIES, DEFAULT_CAPABILITIES } from '@podstage/contract';
import { MASKED_PATHS, READONLY_PATHS, type AppPlan } from '@podstage/stage1-common';
import { appConfig, SANDBOX_BUSYBOX, sandboxConfig, type OciSpec } from '@podstage/stage1-runc/translate';
import { waitFor } from '../helpers/wait.js';

const BUSYBOX = '/bin/busybox';
const CGROUP_ROOT = '/sys/fs/cgroup';
const APPLETS = ['sh', 'cat', 'grep', 'hostname', 'id', 'ls', 'stat', 'wc'];
// Probes that succeed on the host, so that only the app's isolation can make them fail: a sysfs
// attribute root may write (the app writes its own value back), a masked file and a masked
// directory that have content on the host (this host has no /proc/kcore; it has these).
const SYS_WRITABLE = '/sys/module/printk/parameters/time';
const MASKED_FILE = '/proc/timer_list';
const MASKED_DIR = '/sys/firmware';

const uuid = randomUUID();
const suffix = randomBytes(4).toString('hex');
const sandboxId = `podstage-test-${suffix}-sandbox`;
const appId = `podstage-test-${suffix}-app`;
const work = mkdtempSync(join(tmpdir(), 'podstage-runc-smoke-'));

function writeBundle(name: string, config: OciSpec): string {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2));
  return dir;
}

function readRlimitNofileHard(): number {
  const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
  const hard = line?.trim().split(/\s+/)[4];
  if (hard === undefined || hard === 'unlimited') return Number.MAX_SAFE_INTEGER;
  return Number(hard);
}

async function runcState(id: string): Promise<{ status: string; pid: number } | undefined> {
  const r = await execa('runc', ['state', id], { reject: false });
  return r.exitCode === 0 ? (JSON.parse(r.stdout) as { status: string; pid: number }) : undefined;
}

/** A capability set as /proc/PID/status prints it. */
function capMask(caps: readonly string[]): string {
  const mask = caps.reduce((m, c) => m | (1n << BigInt(CAPABILITIES.indexOf(c as (typeof CAPABILITIES)[number]))), 0n);
  return mask.toString(16).padStart(16, '0');
}

function removeCgroupTree(dir: string): void {
  if (!existsSync(dir)) return;
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) removeCgroupTree(join(dir, e.name));
  rmdirSync(dir);
}

function appRootfs(): string {
  const rootfs = join(work, 'app-rootfs');
  mkdirSync(join(rootfs, 'bin'), { recursive: true });
  copyFileSync(BUSYBOX, join(rootfs, 'bin/busybox'));
  chmodSync(join(rootfs, 'bin/busybox'), 0o755);
  for (const a of APPLETS) symlinkSync('busybox', join(rootfs, 'bin', a));
  return rootfs;
}

test.after(async () => {
  for (const id of [appId, sandboxId]) {
    if ((await runcState(id)) !== undefined) await execa('runc', ['delete', '--force', id], { reject: false });
  }
  for (const ctrl of existsSync(CGROUP_ROOT) ? readdirSync(CGROUP_ROOT) : []) {
    try {
      removeCgroupTree(join(CGROUP_ROOT, ctrl, 'podstage', uuid));
    } catch (err) {
      console.error(`runc-smoke: cannot remove the cgroup of pod ${uuid} under ${ctrl}: ${(err as Error).message}`);
    }
  }
  rmSync(work, { recursive: true, force: true });
});

test('sandbox runs under runc, an app joins it, SIGTERM stops the sandbox cleanly', async () => {
  accessSync(SYS_WRITABLE, constants.W_OK);
  assert.ok(readFileSync(MASKED_FILE, 'utf8').length > 0 && readdirSync(MASKED_DIR).length > 0, 'the masked paths have content on the host');
  // The sandbox: only busybox in a read-only root, private network.
  const sandboxRootfs = join(work, 'sandbox-rootfs');
  mkdirSync(sandboxRootfs, { recursive: true });
  copyFileSync(BUSYBOX, join(sandboxRootfs, SANDBOX_BUSYBOX));
  const sandboxDir = writeBundle('sandbox', sandboxConfig({ uuid, rootfs: sandboxRootfs, net: 'none', insecureOptions: [] }));
  const sandboxLog = join(work, 'sandbox.log');
  const sandboxRun = execa('runc', ['run', '--bundle', sandboxDir, sandboxId], { stdin: 'ignore', stdout: { file: sandboxLog }, stderr: { file: sandboxLog }, reject: false });
  const { pid: sandboxPid } = await waitFor(`sandbox ${sandboxId} running (log: ${sandboxLog})`, async () => {
    const state = await runcState(sandboxId);
    return state?.status === 'running' ? state : undefined;
  });

  // The app: default caps, the default seccomp profile, a memory limit, a raised oom_score_adj.
  const rootfs = appRootfs();
  const minOomScoreAdj = Number.parseInt(readFileSync('/proc/self/oom_score_adj', 'utf8'), 10);
  const plan: AppPlan = {
    name: 'probe',
    app: { name: 'probe', image: { id: `sha256:${'0'.repeat(64)}` }, app: { exec: ['/bin/sh'], user: '0', group: '0' } },
    rootfs, lower: rootfs, upper: rootfs, work: rootfs,
    exec: ['/bin/sh', '-c', [
      'hostname',
      'grep -E "^(CapEff|NoNewPrivs|Seccomp):" /proc/self/status',
      'cat /proc/self/oom_score_adj',
      'cat /sys/fs/cgroup/memory/memory.limit_in_bytes',
      'echo "pid=$$"',
      `{ cat ${SYS_WRITABLE} > ${SYS_WRITABLE}; } 2>&1`,
      `stat -c "%F %t:%T" ${MASKED_FILE}`,
      `echo "masked-dir-entries=$(ls -A ${MASKED_DIR} | wc -l)"`,
    ].join('; ')],
    env: { PATH: '/bin', HOME: '/', AC_APP_NAME: 'probe' },
    cwd: '/',
    identity: { uid: 0, gid: 0, groups: [], home: '/' },
    capabilities: [...DEFAULT_CAPABILITIES],
    isolators: { memory: { limit: '64Mi' }, noNewPrivileges: true, oomScoreAdj: Math.max(minOomScoreAdj, 0) + 100 },
    readOnlyRootFS: false,
    maskPaths: true,
    maskedPaths: [...MASKED_PATHS],
    readonlyPaths: [...READONLY_PATHS],
    mounts: [],
  };
  const shm = join(work, 'shm');
  mkdirSync(shm, { mode: 0o1777 });
  const appDir = writeBundle('app', appConfig(plan, { uuid, sandboxPid, sharePid: false, shm, insecureOptions: [], minOomScoreAdj, maxOpenFiles: readRlimitNofileHard() }));
  const app = await execa('runc', ['run', '--bundle', appDir, appId], { stdin: 'ignore', reject: false });
  assert.is(app.exitCode, 0, `runc run (app) failed:\n${app.stdout}\n${app.stderr}`);
  const lines = app.stdout.split('\n');
  assert.is(lines[0], `podstage-${uuid}`, 'the app sees the sandbox hostname (UTS joined)');
  assert.ok(lines.includes('NoNewPrivs:\t1'), app.stdout);
  assert.ok(lines.includes('Seccomp:\t2'), app.stdout);
  assert.ok(lines.includes(String(Math.max(minOomScoreAdj, 0) + 100)), `oom_score_adj: ${app.stdout}`);
  assert.ok(lines.includes(String(64 * 2 ** 20)), `memory limit: ${app.stdout}`);
  assert.ok(lines.includes('pid=1'), `own pid namespace: ${app.stdout}`);
  assert.ok(lines.some((l) => l.includes(`${SYS_WRITABLE}: Read-only file system`)), `/sys is read-only: ${app.stdout}`);
  assert.ok(lines.includes('character special file 1:3'), `${MASKED_FILE} is /dev/null: ${app.stdout}`);
  assert.ok(lines.includes('masked-dir-entries=0'), `${MASKED_DIR} is empty: ${app.stdout}`);
  assert.ok(lines.includes(`CapEff:\t${capMask(DEFAULT_CAPABILITIES)}`), `default capabilities: ${app.stdout}`);
  await execa('runc', ['delete', appId], { reject: false });

  // The sandbox's init exits 0 on SIGTERM.
  await execa('runc', ['kill', sandboxId, 'TERM']);
  const sandboxResult = await sandboxRun;
  assert.is(sandboxResult.exitCode, 0, `sandbox exit code (log: ${readFileSync(sandboxLog, 'utf8')})`);
  await execa('runc', ['delete', sandboxId], { reject: false });
  assert.is(await runcState(sandboxId), undefined);
});

test.run();
