/** The bench's /proc readers on fixed text, and which processes count as a pod's: nothing here reads the host. */
import * as assert from 'uvu/assert';
import { belongingPids, memoryTotals, ownedPids, parseCgroups, parseSmapsRollup, parseStat, type ProcEntry } from '@podstage/bench';
import { test } from '../helpers/suite.js';

test('parseStat: pid, comm, state and ppid, a comm holding spaces and parentheses too', () => {
  assert.equal(parseStat('10257 (cat) R 10254 10254 29113 0 -1 4194304 100 0 0 0\n'), { pid: 10257, comm: 'cat', state: 'R', ppid: 10254 });
  assert.equal(parseStat('31530 ((sd-stubinit)) S 31476 31530 31530 0 -1'), { pid: 31530, comm: '(sd-stubinit)', state: 'S', ppid: 31476 });
  assert.equal(parseStat('7 (a) b) (c) Z 1 7 7 0'), { pid: 7, comm: 'a) b) (c', state: 'Z', ppid: 1 });
  assert.throws(() => parseStat(''), /not a \/proc\/PID\/stat line/);
});

const ROLLUP = `5608deda8000-7ffe38e7e000 ---p 00000000 00:00 0                          [rollup]
Rss:                1728 kB
Pss:                 376 kB
Pss_Dirty:           112 kB
Pss_Anon:            112 kB
Shared_Clean:       1564 kB
SwapPss:               0 kB
`;

test('parseSmapsRollup: Rss and Pss in KiB, not Pss_Anon or SwapPss; nothing for a kernel thread', () => {
  assert.equal(parseSmapsRollup(ROLLUP), { rssKiB: 1728, pssKiB: 376 });
  assert.equal(parseSmapsRollup(''), { rssKiB: 0, pssKiB: 0 });
});

test('parseCgroups: the path of every hierarchy, v1 and v2 lines alike', () => {
  assert.equal(parseCgroups('4:memory:/podstage/u1/apps/a\n1:cpu,cpuacct:/\n0::/x:y\n'), ['/podstage/u1/apps/a', '/', '/x:y']);
});

const UUID = '5d1d118f-3ba5-4867-843b-ef0327a5592d';
const proc = (pid: number, ppid: number, comm: string, extra: Partial<ProcEntry> = {}): ProcEntry =>
  ({ pid, ppid, comm, state: 'S', cgroups: ['/'], cmdline: comm, ...extra });

/** A host pod (nspawn → stub init → supervisor → app), a runc pod's daemonized sandbox, a monitor naming the uuid, and bystanders. */
const TABLE: ProcEntry[] = [
  proc(1, 0, 'init'),
  proc(100, 1, 'systemd-nspawn'),
  proc(101, 100, '(sd-stubinit)', { cgroups: ['/podstage/other'] }),
  proc(102, 101, 'MainThread'),
  proc(103, 102, 'benchload'),
  proc(104, 103, 'sh'),
  proc(105, 102, 'true', { state: 'Z' }),
  proc(200, 1, 'busybox', { cgroups: ['/', `/podstage/${UUID}`] }),
  proc(201, 200, 'busybox', { cgroups: ['/', `/podstage/${UUID}/sandbox`] }),
  proc(300, 1, 'qemu-system-x86', { cmdline: `qemu-system-x86_64 -name podstage-${UUID}` }),
  proc(400, 1, 'busybox', { cgroups: [`/podstage/${UUID}x`] }),
  proc(500, 1, 'benchload'),
];

test('belongingPids: the roots and below, the pod cgroup and below on any hierarchy, a process naming the uuid; no zombies', () => {
  assert.equal(belongingPids(TABLE, { roots: [100] }).sort(), [100, 101, 102, 103, 104]);
  assert.equal(belongingPids(TABLE, { roots: [], uuid: UUID }).sort(), [200, 201, 300]);
  assert.equal(belongingPids(TABLE, { roots: [100, 999], uuid: UUID }).sort(), [100, 101, 102, 103, 104, 200, 201, 300], 'a root that is gone is no error');
});

test('ownedPids: without the app and what it started', () => {
  assert.equal(ownedPids(TABLE, { roots: [100], uuid: UUID }).sort(), [100, 101, 102, 200, 201, 300]);
  assert.equal(ownedPids(TABLE, { roots: [500] }), [], 'a pod whose run process became the app adds nothing');
});

test('memoryTotals: MiB and resident Node processes', () => {
  const t = memoryTotals([{ name: 'node', rssKiB: 2048, pssKiB: 1024 }, { name: 'runc', rssKiB: 1024, pssKiB: 512 }]);
  assert.equal(t, { pssMiB: 1.5, rssMiB: 3, node: 1 });
  assert.equal(memoryTotals([]), { pssMiB: 0, rssMiB: 0, node: 0 });
});

test.run();
