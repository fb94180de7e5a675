/** The capabilities a host lets a container hold: its bounding set, read from /proc/<pid>/status. */
import * as assert from 'uvu/assert';
import { boundingCapabilities, CAPABILITIES } from '@podstage/contract';
import { test } from '../helpers/suite.js';

test('boundingCapabilities: the CapBnd mask, bit n being capability n', () => {
  assert.equal(boundingCapabilities('Name:\tx\nCapBnd:\t000001ffffffffff\n'), [...CAPABILITIES]);
  // A host without CAP_SYS_RESOURCE (24).
  const held = boundingCapabilities('CapEff:\t0000000000000000\nCapBnd:\t000001fffeffffff\n');
  assert.is(held.length, CAPABILITIES.length - 1);
  assert.not.ok(held.includes('CAP_SYS_RESOURCE'));
  assert.equal(boundingCapabilities('CapBnd:\t0000000000000003\n'), ['CAP_CHOWN', 'CAP_DAC_OVERRIDE']);
});
test.run();
