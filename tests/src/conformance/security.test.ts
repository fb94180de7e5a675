/**
 * What an app can reach, the same under every stage1: its capability sets, a
 * setuid binary, /proc and /sys, devices, and the processes of its pod that
 * are not its own. fly shares the host's pid namespace and /dev by design:
 * it is checked for capabilities and masked paths only.
 */
import { closeSync, existsSync, openSync, readFileSync, rmSync } from 'node:fs';
import { spawnSync, type StdioOptions } from 'node:child_process';
import { execa } from 'execa';
import { join } from 'node:path';
import { suite } from '../helpers/suite.js';
import * as assert from 'uvu/assert';
import { DEFAULT_IMAGE, lines, PODSTAGE, sandbox, type Sandbox } from '../helpers/podstage.js';
import { waitFor } from '../helpers/wait.js';
import { buildSetuidProgram, capSets } from '../helpers/setuid-program.js';

const TARGETS = [
  { label: 'host', flags: ['--stage1-name=host'], isolated: true },
  { label: 'runc', flags: ['--stage1-name=runc'], isolated: true },
  { label: 'runc with crun', flags: ['--stage1-name=runc', '--runtime=crun'], isolated: true },
  { label: 'kvm', flags: ['--stage1-name=kvm'], isolated: true },
  { label: 'fly', flags: ['--stage1-name=fly'], isolated: false },
];

/** rkt's default capabilities as /proc shows them. */
const DEFAULT_CAPS = '00000000a80425fb';
const NONE = '0000000000000000';
/** A VM boots before its apps start (TCG here: seconds). */
const STARTUP_MS = 120_000;
/** Last line of mountinfo for each mount point (what an app sees there): its options and type. */
function visibleMounts(mountinfo: string[]): Map<string, { options: string[]; type: string }> {
  const out = new Map<string, { options: string[]; type: string }>();
  for (const l of mountinfo) {
    const f = l.split(' ');
    out.set(f[4] as string, { options: (f[5] ?? '').split(','), type: f[f.indexOf('-') + 1] ?? '' });
  }
  return out;
}

const PROBE_PROCESSES = `
echo "ownroot $(echo $(ls -A /))"
for d in /proc/[0-9]*; do
  e=$(readlink $d/exe 2>/dev/null) || e=-
  c=$(readlink $d/cwd 2>/dev/null) || c=-
  if r=$(ls -A $d/root/ 2>/dev/null); then r=$(echo $r); else r=-; fi
  echo "proc \${d#/proc/} exe=$e cwd=$c root=$r"
done`;

const PROBE_PATHS = `
echo "timer_list $(wc -c < /proc/timer_list)"
echo "keys $(wc -c < /proc/keys)"
echo "firmware $(ls -A /sys/firmware | wc -l)"
sed 's/^/mountinfo /' /proc/self/mountinfo`;

const PROBE_DEVICES = `
mknod /dev/podstage-kmsg c 1 11 && echo mknod-ok
if (exec 3>/dev/podstage-kmsg) 2>/tmp/open-err; then echo open-ok; else echo "open-failed $(cat /tmp/open-err)"; fi
echo ok > /dev/null && echo null-ok`;

for (const { label, flags, isolated } of TARGETS) {
  const t = suite<{ sb: Sandbox; setuidDir: string }>(`security: ${label}`, { sb: undefined as unknown as Sandbox, setuidDir: '' });
  const run = (sb: Sandbox, args: string[]) => sb.run(['run', ...flags, ...args]);

  t.before(async (ctx) => {
    ctx.sb = await sandbox();
    ctx.setuidDir = await buildSetuidProgram();
  });
  t.after(async (ctx) => {
    await ctx.sb.cleanup();
    rmSync(ctx.setuidDir, { recursive: true, force: true });
  });

  t('a root app holds its bounding set and nothing more in all five capability sets', async ({ sb }) => {
    const r = await run(sb, [DEFAULT_IMAGE, '--', 'grep', '^Cap', '/proc/self/status']);
    assert.is(r.exitCode, 0, String(r.stderr));
    assert.equal(capSets(r.stdout), { CapInh: NONE, CapPrm: DEFAULT_CAPS, CapEff: DEFAULT_CAPS, CapBnd: DEFAULT_CAPS, CapAmb: NONE });
  });

  t('a non-root app holds no capability, and a setuid-root binary gains at most the bounding set', async ({ sb, setuidDir }) => {
    const r = await run(sb, [`--volume=suid,kind=host,source=${setuidDir},readOnly=true`, DEFAULT_IMAGE, '--mount=volume=suid,target=/suid', '--user=podstage', '--',
      'sh', '-c', 'grep ^Cap /proc/self/status; echo ---; /suid/setuid-status']);
    assert.is(r.exitCode, 0, String(r.stderr));
    const [self, setuid] = String(r.stdout).split('---');
    assert.equal(capSets(self), { CapInh: NONE, CapPrm: NONE, CapEff: NONE, CapBnd: DEFAULT_CAPS, CapAmb: NONE });
    // The binary did run as root (the volume is not nosuid), and got no more than the bounding set.
    assert.equal(capSets(setuid), { Euid: '0', CapInh: NONE, CapPrm: DEFAULT_CAPS, CapEff: DEFAULT_CAPS, CapBnd: DEFAULT_CAPS, CapAmb: NONE });
  });

  t("the default seccomp filter is x86_64's: a call through the i386 ABI kills the app", async ({ sb, setuidDir }) => {
    const probe = [`--volume=suid,kind=host,source=${setuidDir},readOnly=true`, DEFAULT_IMAGE, '--mount=volume=suid,target=/suid', '--', 'sh', '-c', '/suid/i386-getpid; echo "status $?"'];
    const r = await run(sb, probe);
    assert.is(r.exitCode, 0, String(r.stderr));
    assert.equal(lines(r.stdout), ['status 159'], 'SIGSYS');
    // The probe itself works: without the filter the call is made.
    const open = await sb.run(['--insecure-options=seccomp', 'run', ...flags, ...probe]);
    assert.match(String(open.stdout), /^i386 getpid: \d+\nstatus 0$/m, String(open.stderr));
  });

  t('a command run by enter holds exactly what the app holds', async ({ sb }) => {
    const uuidFile = join(sb.dir, 'enter-uuid');
    const child = execa(PODSTAGE, ['--dir', sb.dir, 'run', ...flags, `--uuid-file-save=${uuidFile}`, DEFAULT_IMAGE, '--', 'sleep', '600'], { reject: false, stdin: 'ignore' });
    const uuid = await waitFor('the pod uuid', () => (existsSync(uuidFile) ? readFileSync(uuidFile, 'utf8').trim() || undefined : undefined));
    try {
      // Retried until the app runs (a VM boots first).
      const entered = await waitFor('enter', async () => {
        const r = await sb.run(['enter', uuid, '--', 'grep', '^Cap', '/proc/self/status']);
        return r.exitCode === 0 ? r : undefined;
      }, STARTUP_MS);
      assert.equal(capSets(entered.stdout), { CapInh: NONE, CapPrm: DEFAULT_CAPS, CapEff: DEFAULT_CAPS, CapBnd: DEFAULT_CAPS, CapAmb: NONE });
    } finally {
      await sb.run(['stop', '--force', uuid]);
      await child;
    }
  });

  t('a file descriptor the caller left open (a host directory) never reaches the app', async ({ sb }) => {
    const LEAKED = 63;
    const dir = openSync(sb.dir, 'r');
    try {
      const stdio: StdioOptions = ['ignore', 'pipe', 'pipe', ...Array<'ignore'>(LEAKED - 3).fill('ignore'), dir];
      const r = spawnSync(PODSTAGE, ['--dir', sb.dir, 'run', ...flags, DEFAULT_IMAGE, '--', 'sh', '-c', 'ls /proc/$$/fd'], { stdio, encoding: 'utf8' });
      assert.is(r.status, 0, r.stderr);
      assert.ok(lines(r.stdout).includes('2'), r.stdout);
      assert.not.ok(lines(r.stdout).includes(String(LEAKED)), `fd ${LEAKED} reached the app: ${r.stdout}`);
    } finally {
      closeSync(dir);
    }
  });

  t("runc's masked and read-only /proc and /sys paths", async ({ sb }) => {
    const r = await run(sb, [DEFAULT_IMAGE, '--', 'sh', '-c', PROBE_PATHS]);
    assert.is(r.exitCode, 0, String(r.stderr));
    const out = lines(r.stdout);
    assert.ok(out.includes('timer_list 0'), 'timer_list masked');
    assert.ok(out.includes('keys 0'), 'keys masked');
    assert.ok(out.includes('firmware 0'), '/sys/firmware masked');
    const mounts = visibleMounts(out.filter((l) => l.startsWith('mountinfo ')).map((l) => l.slice('mountinfo '.length)));
    for (const path of ['/proc/sys', '/sys']) assert.ok(mounts.get(path)?.options.includes('ro'), `${path} is read-only: ${mounts.get(path)?.options.join(',')}`);
    // A tmpfs under /sys is the pod's own (runc's /sys/fs/cgroup); the kernel's file systems are read-only.
    for (const [point, { options, type }] of mounts) {
      if (point.startsWith('/sys/') && type !== 'tmpfs') assert.ok(options.includes('ro'), `${point} (${type}) under /sys is read-only`);
    }
    const off = await run(sb, ['--insecure-options=paths', DEFAULT_IMAGE, '--', 'sh', '-c', 'wc -c < /proc/timer_list']);
    assert.ok(Number(off.stdout) > 0, `--insecure-options=paths shows /proc/timer_list (${String(off.stdout)})`);
  });

  if (!isolated) {
    // fly: the host's pid namespace and /dev are shared by design (stage1-fly/README.md).
    t.run();
    continue;
  }

  t("no process that is not the app's own is reachable through /proc/<pid>/{exe,cwd,root}", async ({ sb }) => {
    // host: in the pod's shared pid namespace, where nspawn's init is in sight (an app of its own namespace sees only itself).
    const r = await run(sb, [...(label === 'host' ? ['--annotation=podstage.io/share-pid-namespace=true'] : []), DEFAULT_IMAGE, '--', 'sh', '-c', PROBE_PROCESSES]);
    assert.is(r.exitCode, 0, String(r.stderr));
    const out = lines(r.stdout);
    const ownRoot = out.find((l) => l.startsWith('ownroot '))?.slice('ownroot '.length);
    const procs = out.filter((l) => l.startsWith('proc '));
    assert.ok(procs.length >= 1, 'sees its own processes');
    for (const line of procs) {
      const [, pid, exe, cwd, root] = /^proc (\d+) exe=(.*) cwd=(.*) root=(.*)$/.exec(line) ?? [];
      // Reachable only where it is the app itself: its binary, its root.
      if (exe !== '-') assert.is(exe, '/bin/busybox', `pid ${pid}: exe`);
      if (root !== '-') assert.is(root, ownRoot, `pid ${pid}: root`);
      if (cwd !== '-') assert.ok(exe !== '-', `pid ${pid}: cwd ${cwd} reachable while exe is not`);
    }
    if (label === 'host') assert.ok(procs.some((l) => /^proc 1 exe=- cwd=- root=-$/.test(l)), "nspawn's init (pid 1) is unreachable");
  });

  t("a device node made inside cannot be opened (runc's device allowlist)", async ({ sb }) => {
    const r = await run(sb, [DEFAULT_IMAGE, '--', 'sh', '-c', PROBE_DEVICES]);
    assert.is(r.exitCode, 0, String(r.stderr));
    const out = lines(r.stdout);
    assert.ok(out.includes('mknod-ok'), `mknod works (CAP_MKNOD is a default): ${out.join(' | ')}`);
    assert.ok(out.some((l) => l.startsWith('open-failed') && l.includes('Operation not permitted')), `opening it is refused: ${out.join(' | ')}`);
    assert.ok(out.includes('null-ok'));
  });

  if (label === 'host') {
    t('what stage0 trusts is read-only in the pod, even for an app given CAP_SYS_PTRACE that shares the pod init\'s pid namespace', async ({ sb }) => {
      const uuidFile = join(sb.dir, 'trusted-uuid');
      // Reachability is shown by reading a file, not by ls: ls stats every entry and races stage0 renaming pid.tmp-* into place.
      // Sharing the pod's pid namespace puts the pod's init (whose root holds /pod) in sight; an app of its own namespace sees none.
      const r = await run(sb, [`--uuid-file-save=${uuidFile}`, '--annotation=podstage.io/share-pid-namespace=true', DEFAULT_IMAGE, '--caps-retain=CAP_SYS_PTRACE,CAP_DAC_OVERRIDE,CAP_DAC_READ_SEARCH,CAP_FOWNER', '--',
        'sh', '-c', 'for f in pod stage1.json options.json pid created; do echo x >> /proc/1/root/pod/$f 2>/dev/null && echo "wrote $f"; done; cat /proc/1/root/pod/stage1.json >/dev/null && echo reached']);
      assert.is(r.exitCode, 0, String(r.stderr));
      assert.equal(lines(r.stdout), ['reached'], 'the pod directory is reachable, but nothing in it was written');
      const podDir = join(sb.dir, 'pods', 'run', readFileSync(uuidFile, 'utf8').trim());
      assert.not.match(readFileSync(join(podDir, 'stage1.json'), 'utf8'), /\nx\n$/);
    });
  }

  t.run();
}
