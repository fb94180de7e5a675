/** Entrypoint command lines (ABI.md): what stage0 formats, a stage1 parses back, for the flags ABI 4, 5 and 8 added. */
import * as assert from 'uvu/assert';
import { formatAppArgs, formatAppUpdateArgs, formatEnterArgs, parseAppArgs, parseAppUpdateArgs, parseEnterArgs } from '@podstage/contract';
import { test } from '../helpers/suite.js';

const UUID = '8c3b7a52-2f0e-4f6e-9a59-0c1d2e3f4a5b';

test('enter --tty round-trips, and is absent unless asked for', () => {
  const tty = { uuid: UUID, podDir: '/p', app: 'web', command: ['sh', '-c', 'echo --tty'], tty: true };
  assert.equal(formatEnterArgs(tty), ['--app=web', '--tty', UUID, '--', 'sh', '-c', 'echo --tty']);
  assert.equal(parseEnterArgs(formatEnterArgs(tty), '/p'), tty);
  const plain = { uuid: UUID, podDir: '/p', app: 'web', command: ['true'] };
  assert.equal(parseEnterArgs(formatEnterArgs(plain), '/p'), plain, "a command's own --tty is not enter's");
});

test('app-update: limits left out stay unchanged; a bad number names the flag', () => {
  const both = { uuid: UUID, podDir: '/p', app: 'web', memoryBytes: 67108864, cpuMillis: 500 };
  assert.equal(formatAppUpdateArgs(both), ['--app=web', '--memory=67108864', '--cpu=500', UUID]);
  assert.equal(parseAppUpdateArgs(formatAppUpdateArgs(both), '/p'), both);
  assert.equal(parseAppUpdateArgs(['--app=web', UUID], '/p'), { uuid: UUID, podDir: '/p', app: 'web' });
  assert.throws(() => parseAppUpdateArgs(['--app=web', '--memory=64Mi', UUID], '/p'), /app-update: --memory: expected a whole number/);
});

test('app-stop --grace-period round-trips (0 included), is absent unless given, and must be whole seconds', () => {
  for (const gracePeriodSeconds of [0, 45]) {
    const o = { uuid: UUID, podDir: '/p', app: 'web', force: false, gracePeriodSeconds };
    assert.equal(formatAppArgs(o), ['--app=web', `--grace-period=${gracePeriodSeconds}`, UUID]);
    assert.equal(parseAppArgs('app-stop', formatAppArgs(o), '/p'), o);
  }
  assert.equal(parseAppArgs('app-stop', ['--app=web', '--force', UUID], '/p'), { uuid: UUID, podDir: '/p', app: 'web', force: true });
  assert.throws(() => parseAppArgs('app-stop', ['--app=web', '--grace-period=1.5', UUID], '/p'), /app-stop: --grace-period: expected whole seconds/);
});

test.run();
