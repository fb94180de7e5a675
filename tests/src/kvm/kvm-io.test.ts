/**
 * kvm-io, the host's end of a kvm guest, without a VM: FIFOs stand for the
 * agent's port, a directory for the output share, a sleeping process for QEMU.
 */
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, closeSync, constants, mkdtempSync, openSync, readFileSync, readSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from '../helpers/suite.js';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { REPO } from '../helpers/podstage.js';

let dir: string;
let io: string;
const sleeper = () => spawn('sleep', ['600'], { stdio: 'ignore' });
const mkfifo = (path: string) => spawnSync('mkfifo', [path]);

test.before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'podstage-kvm-io-'));
  io = join(dir, 'kvm-io');
  const cc = await execa('gcc', ['-Wall', '-Wextra', '-Werror', '-o', io, join(REPO, 'stage1-kvm', 'src', 'host', 'kvm-io.c')], { reject: false });
  if (cc.failed) throw new Error(`gcc could not build kvm-io (apt-get install gcc libc6-dev; scripts/setup.sh does): ${cc.stderr}`);
});
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('send: one request line into the FIFO QEMU reads; refused at once when nobody reads it, or for a word with a space', async () => {
  const fifo = join(dir, 'agent.in');
  mkfifo(fifo);
  const gone = await execa(io, ['send', fifo, 'halt'], { reject: false, timeout: 5000 });
  assert.is(gone.exitCode, 1);
  assert.match(gone.stderr, 'the guest is gone');
  // QEMU's end: the FIFO open for reading.
  const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    assert.is((await execa(io, ['send', fifo, 'kill', 'web', 'TERM'], { reject: false })).exitCode, 0);
    assert.is((await execa(io, ['send', fifo, 'start', 'db'], { reject: false })).exitCode, 0);
    const buf = Buffer.alloc(100);
    assert.is(buf.subarray(0, readSync(reader, buf)).toString(), 'kill web TERM\nstart db\n');
  } finally {
    closeSync(reader);
  }
  const spaced = await execa(io, ['send', fifo, 'kill', 'a b'], { reject: false });
  assert.is(spaced.exitCode, 1);
  assert.match(spaced.stderr, 'holds a space');
});

test("ready: the agent's word on the port's FIFO; a QEMU that exits first is a failure, not a hang", async () => {
  const fifo = join(dir, 'agent.out');
  mkfifo(fifo);
  const qemu = sleeper();
  const waiting = execa(io, ['ready', fifo, String(qemu.pid), '30'], { reject: false });
  await new Promise((r) => setTimeout(r, 100));
  writeFileSync(fifo, 'ready\n');
  assert.is((await waiting).exitCode, 0);
  const dead = execa(io, ['ready', fifo, String(qemu.pid), '30'], { reject: false });
  await new Promise((r) => setTimeout(r, 100));
  qemu.kill('SIGKILL');
  const r = await dead;
  assert.is(r.exitCode, 1);
  assert.match(r.stderr, 'QEMU exited while the guest was booting');
  const slow = await execa(io, ['ready', fifo, String(process.pid), '1'], { reject: false });
  assert.is(slow.exitCode, 1);
  assert.match(slow.stderr, 'did not start within 1 s');
});

test('wait: returns when QEMU exits, fails when it outlives the timeout', async () => {
  const qemu = sleeper();
  try {
    assert.is((await execa(io, ['wait', String(qemu.pid), '1'], { reject: false })).exitCode, 1, 'still running after 1 s');
    const waiting = execa(io, ['wait', String(qemu.pid), '30'], { reject: false });
    await new Promise((r) => setTimeout(r, 100));
    const t0 = Date.now();
    qemu.kill('SIGKILL');
    assert.is((await waiting).exitCode, 0);
    assert.ok(Date.now() - t0 < 1000, 'at once, not at the timeout');
  } finally {
    qemu.kill('SIGKILL');
  }
});

test("follow: the guest's output as it grows, then its status; a symlink it planted is not followed; 255 once QEMU is gone", async () => {
  const out = join(dir, 'out');
  spawnSync('mkdir', [out]);
  const qemu = sleeper();
  try {
    const following = execa(io, ['follow', out, 'web', String(qemu.pid)], { reject: false });
    await new Promise((r) => setTimeout(r, 100));
    writeFileSync(join(out, 'web.stdout'), 'one\n');
    symlinkSync('/etc/passwd', join(out, 'web.stderr'));
    await new Promise((r) => setTimeout(r, 100));
    appendFileSync(join(out, 'web.stdout'), 'two\n');
    writeFileSync(join(out, '.web.exit'), '3\n');
    renameSync(join(out, '.web.exit'), join(out, 'web.exit'));
    const r = await following;
    assert.is(r.exitCode, 3);
    assert.is(r.stdout, 'one\ntwo');
    assert.is(r.stderr, '', 'the planted symlink is not read');
    assert.not.match(r.stderr, readFileSync('/etc/passwd', 'utf8').split('\n')[0] as string);

    const orphan = execa(io, ['follow', out, 'db', String(qemu.pid)], { reject: false });
    writeFileSync(join(out, 'db.stderr'), 'half');
    await new Promise((r) => setTimeout(r, 100));
    qemu.kill('SIGKILL');
    const gone = await orphan;
    assert.is(gone.exitCode, 255);
    assert.is(gone.stderr, 'half');
  } finally {
    qemu.kill('SIGKILL');
  }
});

test('follow --input: its stdin goes to the guest as input lines of at most PIPE_BUF bytes, its end as input-end', async () => {
  const out = join(dir, 'out-input');
  const fifo = join(dir, 'input.in');
  spawnSync('mkdir', [out]);
  mkfifo(fifo);
  const qemu = sleeper();
  const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const big = Buffer.alloc(5000, 'x');
    const following = execa(io, ['follow', '--input', fifo, out, 'web', String(qemu.pid)], { reject: false, input: Buffer.concat([Buffer.from('hello\n'), big]) });
    let requests = '';
    const buf = Buffer.alloc(65536);
    for (let i = 0; i < 100 && !requests.includes('input-end'); i++) {
      await new Promise((r) => setTimeout(r, 20));
      try {
        requests += buf.subarray(0, readSync(reader, buf)).toString();
      } catch { /* EAGAIN: nothing yet */ }
    }
    const lines = requests.split('\n').filter((l) => l !== '');
    assert.is(lines.at(-1), 'input-end web');
    const sent = Buffer.concat(lines.slice(0, -1).map((l) => {
      const [op, name, data] = l.split(' ');
      assert.equal([op, name], ['input', 'web']);
      assert.ok(l.length + 1 <= 4096, `a line of ${l.length} bytes`);
      return Buffer.from(data as string, 'base64');
    }));
    assert.equal(sent, Buffer.concat([Buffer.from('hello\n'), big]));
    writeFileSync(join(out, 'web.exit'), '0\n');
    assert.is((await following).exitCode, 0);
  } finally {
    closeSync(reader);
    qemu.kill('SIGKILL');
  }
});
test.run();
