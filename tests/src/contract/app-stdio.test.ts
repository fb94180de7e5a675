/**
 * An app's stdin and terminal (ABI 6): the annotations stage0 writes and the
 * monitor's command line they become.
 */
import * as assert from 'uvu/assert';
import { appStdio, isInteractive, isPodstageError } from '@podstage/contract';
import { conmonArgs } from '@podstage/stage1-common/monitored';
import { test } from '../helpers/suite.js';

test('appStdio: stream, once, a terminal, or nothing', () => {
  assert.equal(appStdio(undefined, 'web'), { tty: false });
  assert.equal(appStdio([{ name: 'podstage.io/stdin', value: 'stream' }], 'web'), { stdin: 'stream', tty: false });
  assert.equal(appStdio([{ name: 'podstage.io/stdin', value: 'once' }, { name: 'podstage.io/tty', value: 'true' }], 'web'), { stdin: 'once', tty: true });
  assert.ok(isInteractive(appStdio([{ name: 'podstage.io/tty', value: 'true' }], 'web')));
  assert.not.ok(isInteractive(appStdio([{ name: 'podstage.io/tty', value: 'false' }], 'web')));
});

test('appStdio: another value is an error naming the app and the annotation', () => {
  for (const [name, value] of [['podstage.io/stdin', 'yes'], ['podstage.io/tty', '1']] as const) {
    try {
      appStdio([{ name, value }], 'web');
      assert.unreachable(`${name}=${value} was accepted`);
    } catch (err) {
      assert.ok(isPodstageError(err) && err.code === 'ERR_PODSTAGE_MANIFEST', String(err));
      assert.match((err as Error).message, `app web: annotation ${name}: expected`);
    }
  }
});

test('conmon: --stdin, --leave-stdin-open for a stream, --terminal', () => {
  const base = { id: 'c', bundle: '/b', runtime: ['/usr/bin/runc'], exitDir: '/e', socketDir: '/s', logPath: 'k8s-file:/l' };
  const plain = conmonArgs(base);
  for (const flag of ['--stdin', '--leave-stdin-open', '--terminal']) assert.not.ok(plain.includes(flag), flag);
  const once = conmonArgs({ ...base, stdin: 'once', terminal: true });
  assert.ok(once.includes('--stdin') && once.includes('--terminal'));
  assert.not.ok(once.includes('--leave-stdin-open'), 'stdin_once: closed when the first client is done');
  assert.ok(conmonArgs({ ...base, stdin: 'stream' }).includes('--leave-stdin-open'));
});
test.run();
