/**
 * Lean pods: no Node process stays resident for a running pod, neither in the
 * pod's cgroups nor under its monitor; and a kill -9 of `podstage run` at any
 * point of a start leaves a pod that status reports truthfully and that stop
 * and gc remove without leftovers.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { execa } from 'execa';
import * as assert from 'uvu/assert';
import { assertNothingLeft } from '../helpers/leftovers.js';
import { DEFAULT_IMAGE, PODSTAGE, sandbox, type Sandbox } from '../helpers/podstage.js';
import { listPods, status } from '../helpers/pods.js';
import { suite } from '../helpers/suite.js';

const CGROUP_ROOT = '/sys/fs/cgroup';
/** How old an unlocked embryo must be before gc collects it (runtime's EMBRYO_MIN_AGE_S, with a margin). */
const EMBRYO_MIN_AGE_MS = 5_500;
/** Every stage1 whose pods can run detached: none keeps a Node process for a running pod. */
const TARGETS = [
  { label: 'fly', flags: ['--stage1-name=fly'], monitor: 'busybox' },
  { label: 'host', flags: ['--stage1-name=host'], monitor: 'conmon' },
  { label: 'runc', flags: ['--stage1-name=runc'], monitor: 'conmon' },
  { label: 'runc with crun', flags: ['--stage1-name=runc', '--runtime=crun'], monitor: 'conmon' },
  { label: 'kvm', flags: ['--stage1-name=kvm'], monitor: 'conmon' },
];
/** When `podstage run` is killed: over the whole start, a guest's boot included for kvm. */
const KILL_POINTS_MS: Record<string, number[]> = {
  host: [0, 40, 80, 120, 160, 200, 240, 300, 400, 600, 900, 1300],
  runc: [0, 40, 80, 120, 160, 200, 240, 300, 400, 600, 900, 1300],
  kvm: [0, 100, 300, 600, 1000, 1600, 2400, 3500],
};

function exeOf(pid: number): string | undefined {
  try {
    return basename(readlinkSync(`/proc/${pid}/exe`));
  } catch {
    return undefined;
  }
}

function podCgroupProcesses(uuid: string): number[] {
  const out = new Set<number>();
  const walk = (dir: string) => {
    try {
      for (const l of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n')) if (l !== '') out.add(Number(l));
      for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) walk(join(dir, e.name));
    } catch {
      // no such cgroup
    }
  };
  for (const h of readdirSync(CGROUP_ROOT)) walk(join(CGROUP_ROOT, h, 'podstage', uuid));
  return [...out];
}

/** `root` and every process below it, from the ppid field of /proc/<pid>/stat. */
function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
    } catch {
      // exited meanwhile
    }
  }
  const out: number[] = [];
  const visit = (pid: number) => {
    out.push(pid);
    for (const c of children.get(pid) ?? []) visit(c);
  };
  visit(root);
  return out;
}

const t = suite<{ sb: Sandbox }>('lean pods', { sb: undefined as unknown as Sandbox });
t.before(async (ctx) => {
  ctx.sb = await sandbox();
});
t.after((ctx) => ctx.sb.cleanup());

for (const { label, flags, monitor } of TARGETS) {
  t(`${label}: a running pod holds no Node process, in its cgroups or under its monitor`, async ({ sb }) => {
    const r = await sb.run(['run', '-d', ...flags, DEFAULT_IMAGE, '--', 'sleep', '1000']);
    assert.is(r.exitCode, 0, String(r.stderr));
    const uuid = String(r.stdout).trim();
    const pid = (await status(sb, uuid)).pid as number;
    assert.is(exeOf(pid), monitor, "the pod's pid is its monitor");
    const processes = [...new Set([...podCgroupProcesses(uuid), ...processTree(pid)])];
    const exes = processes.map((p) => `${p}:${exeOf(p) ?? 'gone'}`);
    assert.ok(processes.length >= 1, 'the pod has processes');
    assert.equal(exes.filter((e) => e.endsWith(':node')), [], `the pod's processes: ${exes.join(' ')}`);
    assert.is((await sb.run(['stop', '--force', uuid])).exitCode, 0);
    assert.is((await sb.run(['rm', uuid])).exitCode, 0);
  });
}

for (const [stage1, killPoints] of Object.entries(KILL_POINTS_MS)) t(`${stage1}: kill -9 of podstage run at any point of a start: status is true, stop and gc leave nothing`, async ({ sb }) => {
  const seen = new Set<string>();
  for (const delayMs of killPoints) {
    const child = execa(PODSTAGE, ['--dir', sb.dir, 'run', `--stage1-name=${stage1}`, DEFAULT_IMAGE, '--', 'sleep', '1000'], { reject: false, stdio: 'ignore' });
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    child.kill('SIGKILL');
    await child;
    for (const p of await listPods(sb)) {
      seen.add(p.state);
      const processes = podCgroupProcesses(p.uuid).filter((pid) => exeOf(pid) !== undefined);
      if (p.state === 'exited') assert.equal(processes, [], `killed after ${delayMs} ms: an exited pod has no process`);
      if (p.state === 'running') {
        assert.ok(processes.length > 0, `killed after ${delayMs} ms: a running pod has processes`);
        const stop = await sb.run(['stop', '--force', p.uuid]);
        assert.is(stop.exitCode, 0, `killed after ${delayMs} ms: ${String(stop.stderr)}`);
      }
    }
    const uuids = (await listPods(sb)).map((p) => p.uuid);
    const gc = await sb.run(['gc', '--expire-prepared=0s']);
    assert.is(gc.exitCode, 0, String(gc.stderr));
    if ((await listPods(sb)).some((p) => p.state === 'embryo')) {
      // Killed between an embryo's mkdir and its first lock: gc leaves an embryo younger than 5 s
      // (one may be taking its lock right now) and collects it after that.
      await new Promise((resolve) => setTimeout(resolve, EMBRYO_MIN_AGE_MS));
      assert.is((await sb.run(['gc'])).exitCode, 0);
    }
    assert.equal(await listPods(sb), [], `killed after ${delayMs} ms: gc removed every pod`);
    await assertNothingLeft(sb, uuids);
  }
  assert.ok(seen.has('running'), `a kill left a running pod at least once (seen: ${[...seen].join(', ')})`);
});

t.run();
