/** Pod lifecycle on disk: prepare, run-prepared, rm, gc, a killed prepare, concurrent run and gc. */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from '../helpers/suite.js';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { DEFAULT_IMAGE, lines, PODSTAGE, sandbox, STUB_STAGE1, type Sandbox } from '../helpers/podstage.js';
import { ensurePodDirs, move, secondsInState, type PodRef } from '@podstage/runtime';
import { listPods, status } from '../helpers/pods.js';

let sb: Sandbox;
test.before(async () => {
  sb = await sandbox();
});
test.after(() => sb.cleanup());

const podsIn = (d: string) => (existsSync(join(sb.dir, 'pods', d)) ? readdirSync(join(sb.dir, 'pods', d)) : []);

test('prepare, cat-manifest, run-prepared, status', async () => {
  const prep = await sb.run(['prepare', '--stage1-name=fly', DEFAULT_IMAGE, '--name=job', '--', 'sh', '-c', 'exit 3']);
  assert.is(prep.exitCode, 0, String(prep.stderr));
  const uuid = String(prep.stdout);
  assert.match(uuid, /^[0-9a-f-]{36}$/);
  assert.is((await status(sb, uuid)).state, 'prepared');
  assert.ok(podsIn('prepared').includes(uuid));
  const manifest = JSON.parse(String((await sb.run(['cat-manifest', uuid])).stdout));
  assert.is(manifest.apps[0].name, 'job');
  assert.equal(manifest.apps[0].app.exec, ['sh', '-c', 'exit 3']);
  assert.match(manifest.apps[0].image.id, /^sha256:[0-9a-f]{64}$/);
  const run = await sb.run(['run-prepared', uuid.slice(0, 8)]);
  assert.is(run.exitCode, 3);
  const s = await status(sb, uuid);
  assert.is(s.state, 'exited');
  assert.is(s.stage1, 'fly');
  const again = await sb.run(['run-prepared', uuid]);
  assert.is(again.exitCode, 254);
  assert.match(String(again.stderr), `pod ${uuid} is not prepared (it is in run)`);
});

test('status --wait returns once the pod has exited', async () => {
  const uuidFile = join(sb.dir, 'wait-uuid');
  const child = execa(PODSTAGE, ['--dir', sb.dir, 'run', '--stage1-name=fly', `--uuid-file-save=${uuidFile}`, DEFAULT_IMAGE, '--', 'sleep', '1'], { reject: false });
  while (!existsSync(uuidFile)) await new Promise((r) => setTimeout(r, 20));
  const uuid = readFileSync(uuidFile, 'utf8').trim();
  const waited = await sb.run(['status', '--wait', '--wait-timeout=20s', uuid]);
  assert.is(waited.exitCode, 0, String(waited.stderr));
  assert.ok(lines(waited.stdout).includes('state=exited'));
  assert.ok(lines(waited.stdout).includes('exited=true'));
  assert.is((await child).exitCode, 0);
});

test('rm removes prepared and exited pods, refuses running ones', async () => {
  const prep = await sb.run(['prepare', '--stage1-name=fly', DEFAULT_IMAGE, '--', 'true']);
  const uuid = String(prep.stdout);
  const rm = await sb.run(['rm', uuid]);
  assert.is(rm.exitCode, 0, String(rm.stderr));
  assert.is((await sb.run(['status', uuid])).exitCode, 1);
  const uuidFile = join(sb.dir, 'rm-uuid');
  const child = execa(PODSTAGE, ['--dir', sb.dir, 'run', '--stage1-name=fly', `--uuid-file-save=${uuidFile}`, DEFAULT_IMAGE, '--', 'sleep', '30'], { reject: false });
  while (!existsSync(uuidFile)) await new Promise((r) => setTimeout(r, 20));
  const running = readFileSync(uuidFile, 'utf8').trim();
  while ((await status(sb, running)).state !== 'running') await new Promise((r) => setTimeout(r, 20));
  const refused = await sb.run(['rm', running]);
  assert.is(refused.exitCode, 1);
  assert.match(String(refused.stderr), 'is running or busy; stop it first');
  await sb.run(['stop', '--force', running]);
  await child;
  assert.is((await sb.run(['rm', running])).exitCode, 0);
});

test('gc: --mark-only marks, a grace period keeps, --expire-prepared expires', async () => {
  await sb.run(['gc']);
  const exited = String((await sb.run(['prepare', '--stage1-name=fly', DEFAULT_IMAGE, '--', 'true'])).stdout);
  await sb.run(['run-prepared', exited]);
  const prepared = String((await sb.run(['prepare', '--stage1-name=fly', DEFAULT_IMAGE, '--', 'true'])).stdout);
  const mark = await sb.run(['gc', '--mark-only']);
  assert.equal(lines(mark.stdout), [`marked ${exited}`]);
  assert.is((await status(sb, exited)).state, 'exited-garbage');
  const kept = await sb.run(['gc', '--grace-period=1h']);
  assert.equal(lines(kept.stdout), []);
  assert.ok(podsIn('exited-garbage').includes(exited));
  const gc = await sb.run(['gc']);
  assert.equal(lines(gc.stdout), [`removed ${exited}`]);
  assert.is((await status(sb, prepared)).state, 'prepared', 'a fresh prepared pod is kept');
  const expire = await sb.run(['gc', '--expire-prepared=0s']);
  assert.equal(lines(expire.stdout), [`marked ${prepared}`, `removed ${prepared}`]);
  assert.equal(await listPods(sb), []);
  const bad = await sb.run(['gc', '--grace-period=soon']);
  assert.is(bad.exitCode, 2);
  assert.match(String(bad.stderr), '--grace-period: expected a duration like 30s, 10m or 24h, got "soon"');
});

test('a pod moved this instant has been in its state for 0 s, never less (gc removes what it just marked)', () => {
  // ctime is finer than Date.now()'s milliseconds; a negative age kept a just-marked pod from gc's grace-0 removal.
  const dataDir = mkdtempSync(join(sb.dir, 'ages-'));
  ensurePodDirs(dataDir);
  const uuid = randomUUID();
  mkdirSync(join(dataDir, 'pods', 'run', uuid));
  let ref: PodRef = { uuid, dir: 'run', path: join(dataDir, 'pods', 'run', uuid) };
  for (let i = 0; i < 200; i++) {
    ref = move(dataDir, ref, ref.dir === 'run' ? 'exitedGarbage' : 'run');
    const age = secondsInState(ref);
    assert.ok(age >= 0, `moved ${i + 1} times: age ${age}`);
  }
});

test('gc also reclaims what a crashed image import left in the store', async () => {
  const stale = join(sb.dir, 'tmp', 'image-import-2147483646-0123456789ab');
  mkdirSync(join(stale, 'blobs'), { recursive: true });
  const gc = await sb.run(['gc']);
  assert.is(gc.exitCode, 0, String(gc.stderr));
  assert.ok(lines(gc.stdout).includes('image store: removed 1 temporary entries, 0 orphaned trees, 0 unreferenced blobs'));
  assert.not.ok(existsSync(stale));
});

test('a prepare killed half-way is detected as aborted and collected by gc', async () => {
  // Kill prepare while its pod is in pods/prepare (the tree render of a fresh
  // store makes that window wide); retry if a run outraces the kill.
  for (let attempt = 0; attempt < 20; attempt++) {
    const fresh = await sandbox();
    try {
      const preparing = join(fresh.dir, 'pods', 'prepare');
      const child = execa(PODSTAGE, ['--dir', fresh.dir, 'prepare', DEFAULT_IMAGE, '--', 'true'], { reject: false });
      await new Promise<void>((resolve) => {
        const poll = setInterval(() => {
          if (existsSync(preparing) && readdirSync(preparing).length > 0) {
            child.kill('SIGKILL');
            clearInterval(poll);
            resolve();
          }
        }, 1);
        child.finally(() => { clearInterval(poll); resolve(); });
      });
      const r = await child;
      if (r.signal !== 'SIGKILL' || readdirSync(preparing).length === 0) continue;
      const [pod] = await listPods(fresh);
      assert.is(pod?.state, 'aborted-prepare');
      const gc = await fresh.run(['gc']);
      assert.is(gc.exitCode, 0, String(gc.stderr));
      assert.equal(lines(gc.stdout), [`marked ${pod!.uuid}`, `removed ${pod!.uuid}`]);
      assert.equal(await listPods(fresh), []);
      return;
    } finally {
      await fresh.cleanup();
    }
  }
  assert.unreachable('could not kill a prepare half-way in 20 attempts');
});

test('concurrent runs and gcs never lose or corrupt a pod', async () => {
  const runs = Array.from({ length: 6 }, (_, i) => sb.run(['run', '--stage1-name=fly', DEFAULT_IMAGE, '--', 'sh', '-c', `sleep 0.$((RANDOM % 5)); exit ${i + 1}`]));
  const gcs = (async () => {
    const out = [];
    for (let i = 0; i < 8; i++) out.push(await sb.run(['gc']));
    return out;
  })();
  const results = await Promise.all(runs);
  results.forEach((r, i) => assert.is(r.exitCode, i + 1, `run ${i}: ${String(r.stderr)}`));
  for (const g of await gcs) assert.is(g.exitCode, 0, String(g.stderr));
  const final = await sb.run(['gc']);
  assert.is(final.exitCode, 0);
  assert.equal(await listPods(sb), []);
  for (const d of ['embryo', 'prepare', 'prepared', 'run', 'exited-garbage', 'garbage']) assert.equal(podsIn(d), [], `pods/${d}`);
});

test('concurrent gcs, an rm and a run all succeed; every exited pod is removed', async () => {
  await sb.run(['gc']);
  // The stub stage1's gc is a child process: it widens the window in which gcs race for one pod.
  const exited: string[] = [];
  for (let i = 0; i < 6; i++) {
    const prep = await sb.run(['prepare', `--stage1-path=${STUB_STAGE1}`, DEFAULT_IMAGE, '--', 'true']);
    exited.push(String(prep.stdout));
    assert.is((await sb.run(['run-prepared', String(prep.stdout)])).exitCode, 42);
  }
  const uuidFile = join(sb.dir, 'concurrent-run-uuid');
  const [run, rm, ...gcs] = await Promise.all([
    sb.run(['run', '--stage1-name=fly', `--uuid-file-save=${uuidFile}`, DEFAULT_IMAGE, '--', 'sh', '-c', 'exit 7']),
    sb.run(['rm', exited[2]!]),
    sb.run(['gc']), sb.run(['gc']), sb.run(['gc']),
  ]);
  assert.is(run.exitCode, 7, String(run.stderr));
  assert.is(rm.exitCode, 0, String(rm.stderr));
  for (const g of gcs) assert.is(g.exitCode, 0, String(g.stderr));
  const ran = readFileSync(uuidFile, 'utf8').trim();
  assert.equal((await listPods(sb)).map((p) => p.uuid).filter((u) => u !== ran), []);
  for (const d of ['embryo', 'prepare', 'prepared', 'exited-garbage', 'garbage']) assert.equal(podsIn(d), [], `pods/${d}`);
});

test('rm of a pod that is already gone succeeds; a prefix that names no pod does not', async () => {
  const uuid = String((await sb.run(['prepare', '--stage1-name=fly', DEFAULT_IMAGE, '--', 'true'])).stdout);
  assert.is((await sb.run(['rm', uuid])).exitCode, 0);
  const again = await sb.run(['rm', uuid]);
  assert.is(again.exitCode, 0, String(again.stderr));
  assert.equal(lines(again.stderr), [`podstage rm: pod ${uuid} is already gone`]);
  const prefix = await sb.run(['rm', uuid.slice(0, 8)]);
  assert.is(prefix.exitCode, 1);
  assert.match(String(prefix.stderr), `no pod ${uuid.slice(0, 8)}`);
});

test.run();
