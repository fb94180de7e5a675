/**
 * `--memory=0` means what Kubernetes means by it: no limit. Every stage1
 * agrees (host OOM-killed the app at once, runc ran it unlimited).
 */
import { readFileSync } from 'node:fs';
import { test } from '../helpers/suite.js';
import * as assert from 'uvu/assert';
import { DEFAULT_IMAGE, lines, sandbox, type Sandbox } from '../helpers/podstage.js';

let sb: Sandbox;
test.before(async () => {
  sb = await sandbox();
});
test.after(() => sb.cleanup());

/** The app's own memory cgroup limit, then how many bytes of a 50 MB line `tail` held in memory. */
const PROBE = 'cat /sys/fs/cgroup/memory$(sed -n "s/^[0-9]*:memory://p" /proc/self/cgroup)/memory.limit_in_bytes; head -c 50000000 /dev/zero | tail | wc -c';
const UNLIMITED = readFileSync('/sys/fs/cgroup/memory/memory.limit_in_bytes', 'utf8').trim();

for (const stage1 of ['host', 'runc']) {
  test(`${stage1}: --memory=0 is no limit, the app allocates 50 MB`, async () => {
    const r = await sb.run(['run', `--stage1-name=${stage1}`, DEFAULT_IMAGE, '--memory=0', '--', 'sh', '-c', PROBE]);
    assert.is(r.exitCode, 0, String(r.stderr));
    assert.equal(lines(r.stdout), [UNLIMITED, '50000000']);
  });

  test(`${stage1}: the same probe under --memory=32Mi sees the limit and cannot allocate 50 MB`, async () => {
    const r = await sb.run(['run', `--stage1-name=${stage1}`, DEFAULT_IMAGE, '--memory=32Mi', '--', 'sh', '-c', PROBE]);
    const [limit, held] = lines(r.stdout);
    assert.is(limit, String(32 * 2 ** 20));
    assert.is.not(held, '50000000');
  });
}

test('fly: --memory=0 asks for nothing it cannot enforce, a real limit is still refused', async () => {
  const none = await sb.run(['run', '--stage1-name=fly', DEFAULT_IMAGE, '--memory=0', '--', 'true']);
  assert.is(none.exitCode, 0, String(none.stderr));
  const limited = await sb.run(['run', '--stage1-name=fly', DEFAULT_IMAGE, '--memory=64Mi', '--', 'true']);
  assert.is(limited.exitCode, 254);
  assert.match(String(limited.stderr), 'stage1 fly: cannot enforce resource/memory');
});

test.run();
