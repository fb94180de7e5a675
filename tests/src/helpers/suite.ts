/**
 * uvu's `test` and `suite`, with hooks that cannot fail silently. Every test
 * file imports these instead of uvu's own (tests/src/harness checks it).
 *
 * uvu 0.5 runs a suite in `try { before; tests } finally { after; return … }`:
 * the `return` in `finally` swallows whatever a `before` (or `after.each`)
 * hook throws, the suite's tests never run and the run still exits 0. Here a
 * hook's failure is printed at once with its file and suite, the run carries
 * on with the other suites, and the process exits 1.
 */
import { getCallSites } from 'node:util';
import { suite as uvuSuite, type Callback, type Test } from 'uvu';

type HookKind = 'before' | 'after' | 'after.each';

const failures: string[] = [];

process.on('exit', () => {
  if (failures.length === 0) return;
  console.error(`\n${failures.length} test hook(s) failed, so their suites did not run or clean up:\n${failures.map((f) => `  - ${f}`).join('\n')}`);
  process.exitCode = 1;
});

/** The test file that registered a hook: the caller of the wrapped registration function. */
function registeringFile(): string {
  const site = getCallSites(3)[2];
  return site === undefined ? 'an unknown file' : site.scriptName.replace(/^file:\/\//, '');
}

function guarded<T>(kind: HookKind, hook: Callback<T>, where: string): Callback<T> {
  return async (ctx) => {
    try {
      await hook(ctx);
    } catch (err) {
      const suiteName = ctx.__suite__;
      const what = `${kind} hook of ${suiteName ? `suite "${suiteName}" in ` : ''}${where}`;
      failures.push(`${what}: ${err instanceof Error ? err.message : String(err)}`);
      console.error(`\n✘ ${what} failed:\n${err instanceof Error ? err.stack : String(err)}`);
      // A failed `before` must still stop its suite's tests; an `after` failure
      // is recorded and the run goes on (rethrown, it would end the whole run).
      if (kind === 'before') throw err;
    }
  };
}

function guard<T>(t: Test<T>): Test<T> {
  const { before, after } = t;
  const beforeEach = before.each;
  const afterEach = after.each;
  t.before = Object.assign((hook: Callback<T>) => before(guarded('before', hook, registeringFile())), { each: beforeEach });
  t.after = Object.assign((hook: Callback<T>) => after(guarded('after', hook, registeringFile())), {
    each: (hook: Callback<T>) => afterEach(guarded('after.each', hook, registeringFile())),
  });
  return t;
}

/** A suite with guarded hooks; `T` defaults to uvu's own context type. */
export function suite<T = Record<string, any>>(name?: string, state?: T): Test<T> {
  return guard(uvuSuite(name, state));
}

/** The file-level suite, shared by every test file like uvu's own `test`. */
export const test = suite();
