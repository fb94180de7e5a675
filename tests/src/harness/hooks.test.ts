/**
 * The test harness itself: a suite hook that throws fails the run (uvu 0.5
 * alone would swallow it and exit 0), and every test file uses the guarded
 * `test`/`suite` of helpers/suite.ts rather than uvu's.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { execa } from 'execa';
import * as assert from 'uvu/assert';
import { REPO } from '../helpers/podstage.js';
import { test } from '../helpers/suite.js';

const UVU = join(REPO, 'node_modules/uvu/bin.js');
const SOURCES = join(REPO, 'tests/src');

test('a throwing before or after hook fails the run, names the hook and lets the other suites run', async () => {
  const r = await execa(process.execPath, [UVU, join(REPO, 'tests/dist/harness/fixtures'), 'failing-hooks\\.js$'], { reject: false, stdin: 'ignore' });
  assert.is(r.exitCode, 1, String(r.stdout));
  const stderr = String(r.stderr);
  assert.match(stderr, /before hook of suite "broken before" in \S*failing-hooks\.js failed:\nError: fixture: the set-up broke/);
  assert.match(stderr, /after hook of suite "broken after" in \S*failing-hooks\.js failed:\nError: fixture: the clean-up broke/);
  assert.match(stderr, '2 test hook(s) failed');
  assert.match(stripVTControlCharacters(String(r.stdout)), /fine\s+•\s+\(1 \/ 1\)/);
});

test('every test file takes test and suite from helpers/suite.ts, not from uvu', () => {
  const direct = readdirSync(SOURCES, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && f !== join('helpers', 'suite.ts'))
    .filter((f) => /from ['"]uvu['"]/.test(readFileSync(join(SOURCES, f), 'utf8')));
  assert.equal(direct, [], 'these files import from uvu: import { test, suite } from helpers/suite.js instead');
});

test.run();
