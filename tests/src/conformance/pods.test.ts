/**
 * One pod manifest, the same observable behaviour under every stage1 with a
 * supervisor (host = systemd-nspawn, runc = OCI runtime, kvm = a VM with its
 * own kernel). Each check runs a real pod and looks at what the app sees and
 * what the host sees.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from '../helpers/suite.js';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { removeCgroupTrees } from '@podstage/linux';
import { DEFAULT_IMAGE, lines, PODSTAGE, sandbox, type Sandbox } from '../helpers/podstage.js';
import { validateOciConfig } from '../helpers/oci-runtime-schema.js';
import { status, waitForAppExit, waitForState } from '../helpers/pods.js';
import { waitFor } from '../helpers/wait.js';
import { assertNothingLeft } from '../helpers/leftovers.js';

const TARGETS = [
  { label: 'host', flags: ['--stage1-name=host'], vm: false },
  { label: 'runc', flags: ['--stage1-name=runc'], vm: false },
  { label: 'runc with crun', flags: ['--stage1-name=runc', '--runtime=crun'], vm: false },
  { label: 'kvm', flags: ['--stage1-name=kvm'], vm: true },
];
/** <linux/if.h>: the interface is administratively up. */
const IFF_UP = 0x1;
/** A VM boots before its apps start (TCG here: seconds). */
const STARTUP_MS = 120_000;

for (const { label, flags, vm } of TARGETS) {
  const t = suite<{ sb: Sandbox }>(`conformance: ${label}`, { sb: undefined as unknown as Sandbox });
  const run = (sb: Sandbox, args: string[]) => sb.run(['run', ...flags, ...args]);
  const podDir = (sb: Sandbox, uuid: string) => join(sb.dir, 'pods', 'run', uuid);
  const start = (sb: Sandbox, args: string[]) => {
    const uuidFile = join(sb.dir, `uuid-${Date.now()}-${Math.random()}`);
    const child = execa(PODSTAGE, ['--dir', sb.dir, 'run', ...flags, `--uuid-file-save=${uuidFile}`, ...args], { reject: false, stdin: 'ignore' });
    const uuid = waitFor('the pod uuid', () => (existsSync(uuidFile) ? readFileSync(uuidFile, 'utf8').trim() || undefined : undefined));
    return { child, uuid };
  };
  const logOf = (sb: Sandbox, uuid: string, app: string) => join(podDir(sb, uuid), 'apps', app, 'log');

  t.before(async (ctx) => {
    ctx.sb = await sandbox();
  });
  t.after((ctx) => ctx.sb.cleanup());

  t('exit code, stdout and stderr of the app', async ({ sb }) => {
    const r = await run(sb, [DEFAULT_IMAGE, '--', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    assert.is(r.exitCode, 3, String(r.stderr));
    assert.is(r.stdout, 'out');
    assert.is(r.stderr, 'err');
  });

  // In a VM the namespaces are the guest kernel's (kvm-run.test.ts checks it is its own kernel).
  if (!vm) {
    t('own pid, mount, uts, ipc and network namespaces; --net=host shares the network', async ({ sb }) => {
      const r = await run(sb, [DEFAULT_IMAGE, '--', 'sh', '-c', 'for n in pid mnt uts ipc net; do readlink /proc/self/ns/$n; done']);
      const [pid, mnt, uts, ipc, net] = lines(r.stdout);
      for (const [name, value] of Object.entries({ pid, mnt, uts, ipc, net })) assert.is.not(value, readlinkSync(`/proc/self/ns/${name}`), name);
      const host = await run(sb, ['--net=host', DEFAULT_IMAGE, '--', 'readlink', '/proc/self/ns/net']);
      assert.is(host.stdout, readlinkSync('/proc/self/ns/net'));
    });
  }

  t('by default the pod has an address of its own on the default network (eth0 on 10.215.N.0/24, a route out)', async ({ sb }) => {
    const r = await run(sb, [DEFAULT_IMAGE, '--', 'sh', '-c', 'ls /sys/class/net; ip -o -4 addr show eth0; ip route show default']);
    assert.is(r.exitCode, 0, String(r.stderr));
    const out = lines(r.stdout);
    assert.equal(out.slice(0, 2), ['eth0', 'lo']);
    assert.match(out[2] ?? '', /inet 10\.215\.\d+\.\d+\/24/);
    assert.match(out[3] ?? '', /^default via 10\.215\.\d+\.1 dev eth0/);
  });

  t('--net=none: a network namespace of its own with only loopback, up', async ({ sb }) => {
    const r = await run(sb, ['--net=none', DEFAULT_IMAGE, '--', 'sh', '-c', 'readlink /proc/self/ns/net; ls /sys/class/net; cat /sys/class/net/lo/flags']);
    assert.is(r.exitCode, 0, String(r.stderr));
    const [net, ...rest] = lines(r.stdout);
    if (!vm) assert.is.not(net, readlinkSync('/proc/self/ns/net'));
    assert.is(rest.length, 2, rest.join('|'));
    assert.is(rest[0], 'lo', 'the only interface');
    assert.is(Number(rest[1]) & IFF_UP, IFF_UP, `lo is up: flags ${rest[1]}`);
  });

  t('environment, user, groups, working directory', async ({ sb }) => {
    const r = await run(sb, ['--set-env=POD=1', DEFAULT_IMAGE, '--user=podstage', '--supplementary-gids=7', '--working-dir=/tmp', '--set-env=APP=2', '--', 'sh', '-c', 'echo "$POD$APP $(id -u) $(id -G) $(pwd) $HOME"']);
    assert.is(r.stdout, '12 1000 1000 7 /tmp /home/podstage', String(r.stderr));
  });

  t('capabilities, no-new-privileges, seccomp errno, read-only root', async ({ sb }) => {
    const r = await run(sb, [DEFAULT_IMAGE, '--caps-remove=CAP_NET_RAW', '--no-new-privileges', '--readonly-rootfs', '--seccomp=mode=remove,errno=EACCES,mkdir,mkdirat', '--',
      'sh', '-c', 'grep -E "^(CapBnd|NoNewPrivs|Seccomp):" /proc/self/status; mkdir /tmp/x 2>&1; touch /y 2>&1; true']);
    const out = lines(r.stdout).map((l) => l.replace(/\s+/g, ' '));
    assert.is(out[0], `CapBnd: ${(0xa80425fbn & ~(1n << 13n)).toString(16).padStart(16, '0')}`);
    assert.is(out[1], 'NoNewPrivs: 1');
    assert.is(out[2], 'Seccomp: 2');
    assert.match(out[3] ?? '', 'Permission denied');
    assert.match(out[4] ?? '', 'Read-only file system');
  });

  t('memory limit: the app is OOM-killed (137) beyond it, and runs within it', async ({ sb }) => {
    const oom = await run(sb, [DEFAULT_IMAGE, '--memory=32Mi', '--', 'dd', 'if=/dev/zero', 'of=/dev/null', 'bs=96M', 'count=1']);
    assert.is(oom.exitCode, 137, String(oom.stderr));
    assert.not.ok(existsSync(join(process.cwd(), 'oom')), "nothing is written to podstage's working directory (conmon's oom file)");
    const fits = await run(sb, [DEFAULT_IMAGE, '--memory=64Mi', '--', 'dd', 'if=/dev/zero', 'of=/dev/null', 'bs=8M', 'count=1']);
    assert.is(fits.exitCode, 0, String(fits.stderr));
  });

  t('two apps talk over loopback in a private network, and do not see each other\'s files', async ({ sb }) => {
    const r = await run(sb, ['--net=none',
      DEFAULT_IMAGE, '--name=server', '--', 'sh', '-c', 'echo secret > /only-server; echo hello | nc -l -p 7070', '---',
      DEFAULT_IMAGE, '--name=client', '--', 'sh', '-c', 'sleep 1; nc 127.0.0.1 7070 </dev/null; test -e /only-server && echo shared-files || echo private-files']);
    assert.is(r.exitCode, 0, String(r.stderr));
    assert.ok(lines(r.stdout).includes('hello'));
    assert.ok(lines(r.stdout).includes('private-files'));
  });

  t("the pod's apps share one IPC namespace, not the host's", async ({ sb }) => {
    // A POSIX message queue shows in /dev/mqueue, the mqueue file system of the IPC namespace
    // (kvm's apps have no /dev/mqueue, and the guest's namespaces are another kernel's).
    const r = await run(sb, [DEFAULT_IMAGE, '--name=maker', '--', 'sh', '-c', `readlink /proc/self/ns/ipc; ${vm ? '' : 'touch /dev/mqueue/pod-queue; '}sleep 3`, '---',
      DEFAULT_IMAGE, '--name=finder', '--', 'sh', '-c', 'sleep 1; readlink /proc/self/ns/ipc; test -e /dev/mqueue/pod-queue && echo sees-queue; true']);
    assert.is(r.exitCode, 0, String(r.stderr));
    const out = lines(r.stdout);
    const ipc = out.filter((l) => l.startsWith('ipc:'));
    assert.is(ipc.length, 2, out.join('|'));
    assert.is(ipc[0], ipc[1], 'one IPC namespace for both apps');
    if (!vm) {
      assert.is.not(ipc[0], readlinkSync('/proc/self/ns/ipc'), "not the host's");
      assert.ok(out.includes('sees-queue'), `the queue one app made is visible to the other: ${out.join('|')}`);
    }
  });

  t("the pod's apps share /dev/shm, as in a Kubernetes pod", async ({ sb }) => {
    const r = await run(sb, [DEFAULT_IMAGE, '--name=writer', '--', 'sh', '-c', 'echo shared > /dev/shm/segment; sleep 3', '---',
      DEFAULT_IMAGE, '--name=reader', '--', 'sh', '-c', 'sleep 1; cat /dev/shm/segment; grep " /dev/shm " /proc/mounts | cut -d" " -f3']);
    assert.is(r.exitCode, 0, String(r.stderr));
    assert.equal(lines(r.stdout), ['shared', 'tmpfs']);
  });

  t('a read-only volume refuses every write of the app; the host files stay as they were', async ({ sb }) => {
    const dir = mkdtempSync(join(sb.dir, 'ro-volume-'));
    writeFileSync(join(dir, 'given'), 'from the host\n');
    // World-writable: only the read-only mount can refuse the writes.
    chmodSync(dir, 0o777);
    chmodSync(join(dir, 'given'), 0o666);
    const r = await run(sb, [DEFAULT_IMAGE, `--volume=${dir}:/in:ro`, '--', 'sh', '-c',
      'cat /in/given; { echo changed > /in/given; } 2>&1; touch /in/new 2>&1; rm /in/given 2>&1; true']);
    assert.is(r.exitCode, 0, String(r.stderr));
    const [given, ...refusals] = lines(r.stdout);
    assert.is(given, 'from the host');
    assert.is(refusals.length, 3, refusals.join('|'));
    for (const refusal of refusals) assert.match(refusal, 'Read-only file system');
    assert.is(readFileSync(join(dir, 'given'), 'utf8'), 'from the host\n');
    assert.equal(readdirSync(dir), ['given']);
  });

  if (!vm) {
    t("--interactive: the app reads the caller's stdin and writes to its stdout", async ({ sb }) => {
      const r = await execa(PODSTAGE, ['--dir', sb.dir, 'run', ...flags, '--interactive', DEFAULT_IMAGE, '--', 'sh', '-c', 'read line; echo "got $line"; exit 7'], { reject: false, input: 'hello\n' });
      assert.is(r.exitCode, 7, String(r.stderr));
      assert.is(r.stdout, 'got hello');
    });
  }

  t('when one app fails the pod ends with its code and the others are stopped; apps that all succeed end it with 0', async ({ sb }) => {
    const uuidFile = join(sb.dir, `policy-uuid-${Date.now()}`);
    const t0 = Date.now();
    const failed = await run(sb, [`--uuid-file-save=${uuidFile}`, DEFAULT_IMAGE, '--name=long', '--', 'sh', '-c', 'trap "exit 143" TERM; while :; do sleep 1; done',
      '---', DEFAULT_IMAGE, '--name=failing', '--', 'sh', '-c', 'sleep 1; exit 9']);
    assert.is(failed.exitCode, 9, String(failed.stderr));
    assert.ok(Date.now() - t0 < STARTUP_MS / 2, 'the long app was stopped, not waited for');
    const codes = Object.fromEntries((await status(sb, readFileSync(uuidFile, 'utf8').trim())).apps.map((a) => [a.name, a.exitCode]));
    assert.equal(codes, { long: 143, failing: 9 });
    const ok = await run(sb, [DEFAULT_IMAGE, '--name=quick', '--', 'true', '---', DEFAULT_IMAGE, '--name=slow', '--', 'sh', '-c', 'sleep 1']);
    assert.is(ok.exitCode, 0, String(ok.stderr));
  });

  t('CRI logs with a partial line, and exit statuses on disk', async ({ sb }) => {
    const uuidFile = join(sb.dir, 'log-uuid');
    await run(sb, [`--uuid-file-save=${uuidFile}`, DEFAULT_IMAGE, '--name=logger', '--', 'sh', '-c', 'echo line; printf tail']);
    const uuid = readFileSync(uuidFile, 'utf8').trim();
    const log = lines(readFileSync(logOf(sb, uuid, 'logger'), 'utf8'));
    // RFC 3339 with nanoseconds, in UTC: `Z` (podstage's own writer) or `+00:00` (conmon's).
    assert.match(log[0] ?? '', /^\S+(Z|\+00:00) stdout F line$/);
    assert.match(log[1] ?? '', /^\S+(Z|\+00:00) stdout P tail$/);
    assert.equal((await status(sb, uuid)).apps.map((a) => a.exitCode), [0]);
  });

  t("enter runs with the app's user, capabilities and seccomp", async ({ sb }) => {
    const { child, uuid: pending } = start(sb, [DEFAULT_IMAGE, '--name=web', '--user=podstage', '--caps-remove=CAP_CHOWN', '--', 'sh', '-c', 'echo mine > /tmp/m; echo ready; exec sleep 60']);
    const uuid = await pending;
    await waitForState(sb, uuid, 'running');
    await waitFor('ready', () => (existsSync(logOf(sb, uuid, 'web')) && readFileSync(logOf(sb, uuid, 'web'), 'utf8').includes('ready') ? true : undefined), STARTUP_MS);
    const r = await sb.run(['enter', uuid, '--', 'sh', '-c', 'cat /tmp/m; id -u; grep -E "^(CapBnd|Seccomp):" /proc/self/status']);
    assert.equal(lines(r.stdout).map((l) => l.replace(/\s+/g, ' ')), ['mine', '1000', 'CapBnd: 00000000a80425fa', 'Seccomp: 2'], String(r.stderr));
    assert.is((await sb.run(['enter', uuid, '--', 'sh', '-c', 'exit 4'])).exitCode, 4);
    await sb.run(['stop', '--force', uuid]);
    await child;
  });

  t('a crashing app does not take a mutable pod down; add, start, stop, rm', async ({ sb }) => {
    const uuidFile = join(sb.dir, 'sandbox-uuid');
    const child = execa(PODSTAGE, ['--dir', sb.dir, 'app', 'sandbox', ...flags, `--uuid-file-save=${uuidFile}`], { reject: false, stdin: 'ignore' });
    const uuid = await waitFor('sandbox uuid', () => (existsSync(uuidFile) ? readFileSync(uuidFile, 'utf8').trim() || undefined : undefined));
    // Apps are added once the sandbox runs (its pid is written).
    const ready = join(podDir(sb, uuid), 'pid');
    await waitFor('the sandbox', () => (existsSync(ready) ? true : undefined), STARTUP_MS);
    assert.is((await sb.run(['app', 'add', uuid, DEFAULT_IMAGE, '--name=crash', '--', 'sh', '-c', 'exit 7'])).exitCode, 0);
    assert.is((await sb.run(['app', 'start', '--app=crash', uuid])).exitCode, 0);
    const crashed = await waitForAppExit(sb, uuid, 'crash');
    assert.is(crashed.exitCode, 7);
    assert.is((await status(sb, uuid)).state, 'running');
    assert.is((await sb.run(['app', 'add', uuid, DEFAULT_IMAGE, '--name=long', '--', 'sleep', '60'])).exitCode, 0);
    assert.is((await sb.run(['app', 'start', '--app=long', uuid])).exitCode, 0);
    assert.is((await sb.run(['app', 'stop', '--app=long', uuid])).exitCode, 0);
    assert.is((await sb.run(['app', 'rm', '--app=long', uuid])).exitCode, 0);
    assert.is((await sb.run(['stop', uuid])).exitCode, 0);
    await child;
  });

  t('stop kills an app that ignores SIGTERM after the grace period', async ({ sb }) => {
    const { child, uuid: pending } = start(sb, [DEFAULT_IMAGE, '--name=stubborn', '--', 'sh', '-c', 'trap "" TERM; echo ready; while true; do sleep 1; done']);
    const uuid = await pending;
    await waitFor('ready', () => (existsSync(logOf(sb, uuid, 'stubborn')) && readFileSync(logOf(sb, uuid, 'stubborn'), 'utf8').includes('ready') ? true : undefined), STARTUP_MS);
    const t0 = Date.now();
    assert.is((await sb.run(['stop', uuid])).exitCode, 0);
    await child;
    assert.ok(Date.now() - t0 >= 9_000);
    assert.equal((await status(sb, uuid)).apps.map((a) => a.exitCode), [137]);
  });

  if (label.startsWith('runc')) {
    t('every bundle written for these pods validates against the OCI runtime-spec schema', ({ sb }) => {
      let checked = 0;
      let holders = 0;
      for (const uuid of readdirSync(join(sb.dir, 'pods', 'run'))) {
        const bundles = join(podDir(sb, uuid), 'stage1', 'bundles');
        for (const b of existsSync(bundles) ? readdirSync(bundles) : []) {
          // A sandbox that only holds namespaces (no app shares its pid namespace) has a script, no OCI config.
          if (b === 'sandbox' && existsSync(join(bundles, b, 'holder.sh'))) {
            holders++;
            continue;
          }
          const config = JSON.parse(readFileSync(join(bundles, b, 'config.json'), 'utf8')) as unknown;
          assert.equal(validateOciConfig(config), [], `${uuid}/${b}`);
          checked++;
        }
      }
      assert.ok(checked >= 10, `checked ${checked} bundles`);
      assert.ok(holders >= 1, 'pods whose apps have pid namespaces of their own have a namespace holder for a sandbox');
    });
  }

  if (!vm) {
    t('apps share the sandbox pid namespace when the pod asks for it', async ({ sb }) => {
      const own = await run(sb, ['--net=none', DEFAULT_IMAGE, '--name=a', '--', 'sh', '-c', 'echo $$']);
      assert.is(own.stdout, '1', 'by default each app is pid 1 of its own namespace');
      const shared = await run(sb, ['--annotation=podstage.io/share-pid-namespace=true', DEFAULT_IMAGE, '--name=a', '--', 'sh', '-c', 'ps -o comm | grep -c busybox; echo $$']);
      const [sandboxSeen, pid] = lines(shared.stdout);
      assert.ok(Number(sandboxSeen) >= 1, "the sandbox's init is visible");
      assert.ok(Number(pid) > 1);
    });
  }

  t("--cgroup-parent: the pod's cgroups are made under the parent (the kubelet's pod cgroup), which counts them; gc removes them and leaves the parent", async ({ sb }) => {
    const parent = `podstage-test-${process.pid}-${label.replace(/\W/g, '')}`;
    const { child, uuid: pending } = start(sb, [`--cgroup-parent=/${parent}/pod1`, DEFAULT_IMAGE, '--name=app', '--', 'sh', '-c', 'echo ready; exec sleep 600']);
    const uuid = await pending;
    const podCgroup = join(parent, 'pod1', `podstage-${uuid}`);
    const procs = (h: string, rel: string) => lines(readFileSync(join('/sys/fs/cgroup', h, rel, 'cgroup.procs'), 'utf8')).map(Number);
    try {
      await waitFor('the app to start', () => (existsSync(logOf(sb, uuid, 'app')) && readFileSync(logOf(sb, uuid, 'app'), 'utf8').includes('ready') ? true : undefined), STARTUP_MS);
      assert.is((await status(sb, uuid)).state, 'running');
      for (const h of ['memory', 'cpu', 'pids']) {
        assert.ok(procs(h, podCgroup).length > 0, `the pod's monitor is in ${h}:/${podCgroup}`);
        assert.not.ok(existsSync(join('/sys/fs/cgroup', h, 'podstage', uuid)), `nothing of the pod in ${h}:/podstage/${uuid}`);
      }
      // A VM's apps are in the guest's cgroups; QEMU is the pod's.
      if (!vm) assert.ok(procs('memory', join(podCgroup, 'apps', 'app')).length > 0, "the app's processes are in its cgroup below the pod's");
      assert.ok(Number(readFileSync(join('/sys/fs/cgroup/memory', parent, 'pod1', 'memory.usage_in_bytes'), 'utf8')) > 0, "the parent's memory counts the pod");
      await sb.run(['stop', '--force', uuid]);
      await child;
      assert.is((await sb.run(['rm', uuid])).exitCode, 0);
      for (const h of ['memory', 'cpu', 'pids']) {
        assert.not.ok(existsSync(join('/sys/fs/cgroup', h, podCgroup)), `the pod's ${h} cgroup is removed`);
        assert.ok(existsSync(join('/sys/fs/cgroup', h, parent, 'pod1')), `the parent's ${h} cgroup stays: it is the kubelet's`);
      }
    } finally {
      await sb.run(['stop', '--force', uuid]);
      await child;
      // What the kubelet does with its pod cgroup once the pod is gone.
      removeCgroupTrees(parent);
    }
  });

  t('gc leaves no cgroup, mount, container or process behind', async ({ sb }) => {
    const uuids = readdirSync(join(sb.dir, 'pods', 'run'));
    assert.is((await sb.run(['gc'])).exitCode, 0);
    await assertNothingLeft(sb, uuids);
  });

  t.run();
}
