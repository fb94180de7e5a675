/**
 * An app's own masked and read-only paths (ABI 7; the kubelet's masked_paths and
 * readonly_paths): the annotations, the lists every stage1 applies, and the
 * defaults they replace.
 */
import * as assert from 'uvu/assert';
import { appPathList, isPodstageError, MASKED_PATHS_ANNOTATION, READONLY_PATHS_ANNOTATION } from '@podstage/contract';
import { appHardenedPaths, MASKED_PATHS, READONLY_PATHS } from '@podstage/stage1-common';
import { test } from '../helpers/suite.js';

const app = (annotations: { name: string; value: string }[] = []) => ({ name: 'web', annotations });

test("runc's lists unless the app names its own; none with --insecure-options=paths", () => {
  assert.equal(appHardenedPaths(app(), []), { maskedPaths: [...MASKED_PATHS], readonlyPaths: [...READONLY_PATHS] });
  const own = app([{ name: MASKED_PATHS_ANNOTATION, value: '["/bin/ls"]' }, { name: READONLY_PATHS_ANNOTATION, value: '["/tmp","/proc/sys"]' }]);
  assert.equal(appHardenedPaths(own, []), { maskedPaths: ['/bin/ls'], readonlyPaths: ['/tmp', '/proc/sys'] });
  assert.equal(appHardenedPaths(own, ['paths']), { maskedPaths: [], readonlyPaths: [] });
});

test('a list that is not JSON, not an array or holds a relative path or ".." is an error naming the app and the annotation', () => {
  assert.is(appPathList(undefined, MASKED_PATHS_ANNOTATION, 'web'), undefined);
  for (const value of ['/bin/ls', '{"a":1}', '["bin/ls"]', '["/proc/../etc"]', '[1]']) {
    try {
      appPathList([{ name: MASKED_PATHS_ANNOTATION, value }], MASKED_PATHS_ANNOTATION, 'web');
      assert.unreachable(`${value} was accepted`);
    } catch (err) {
      assert.ok(isPodstageError(err) && err.code === 'ERR_PODSTAGE_MANIFEST', String(err));
      assert.match((err as Error).message, `app web: annotation ${MASKED_PATHS_ANNOTATION}: expected a JSON array of absolute paths`);
    }
  }
});

test.run();
