/** The error contract every program shares: one line per error, and a kind per code for callers to act on. */
import * as assert from 'uvu/assert';
import { errorKind, ERROR_KINDS, formatError, PodstageError } from '@podstage/contract';
import { test } from '../helpers/suite.js';

test('formatError: the message, then the hint, on one line', () => {
  assert.is(formatError(new PodstageError('ERR_PODSTAGE_APP_EXISTS', 'pod p already has an app named web', { hint: 'choose another name' })), 'pod p already has an app named web; choose another name');
  assert.is(formatError(new PodstageError('ERR_PODSTAGE_POD_NOT_FOUND', 'no pod x')), 'no pod x');
  assert.is(formatError(new Error('plain')), 'plain');
  assert.is(formatError('text'), 'text');
});

test('every code has the kind a caller maps it to', () => {
  assert.is(errorKind(new PodstageError('ERR_PODSTAGE_APP_NOT_FOUND', 'x')), 'not-found');
  assert.is(errorKind(new PodstageError('ERR_PODSTAGE_APP_EXISTS', 'x')), 'already-exists');
  assert.is(errorKind(new PodstageError('ERR_PODSTAGE_POD_STATE', 'x')), 'failed-precondition');
  assert.is(errorKind(new PodstageError('ERR_PODSTAGE_POD_LOCKED', 'x')), 'locked');
  assert.is(errorKind(new PodstageError('ERR_PODSTAGE_UNSUPPORTED', 'x')), 'unsupported');
  assert.is(errorKind(new PodstageError('ERR_PODSTAGE_USAGE', 'x')), 'invalid-argument');
  assert.is(errorKind(new Error('x')), 'internal');
  for (const [code, kind] of Object.entries(ERROR_KINDS)) assert.ok(kind.length > 0, code);
});

test.run();
