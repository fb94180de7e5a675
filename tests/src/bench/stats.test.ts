/** The bench's statistics on fixed data: nothing here depends on a clock. */
import * as assert from 'uvu/assert';
import { interleave, median, pairedDifferences, pairedRatios, percentile, summarize, validateReport } from '@podstage/bench';
import { test } from '../helpers/suite.js';

test('median of odd and even counts; nearest-rank percentiles', () => {
  assert.is(median([1, 2, 3]), 2);
  assert.is(median([1, 2, 3, 10]), 2.5);
  const ten = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  assert.is(percentile(ten, 90), 9);
  assert.is(percentile(ten, 100), 10);
  assert.is(percentile(ten, 1), 1);
  assert.is(percentile([7], 90), 7);
});

test('summarize sorts its samples', () => {
  assert.equal(summarize([30, 10, 20]), { runs: 3, min: 10, median: 20, p90: 30, max: 30 });
});

test('ratios are taken pair by pair, not from the medians', () => {
  // A noisy second round slows both: per-pair ratios stay 2, the ratio of medians would not.
  const a = [20, 200, 22];
  const b = [10, 100, 11];
  assert.equal(pairedRatios(a, b), { runs: 3, min: 2, median: 2, p90: 2, max: 2 });
});

test('stage0 overhead: differences are taken pair by pair too', () => {
  assert.equal(pairedDifferences([310, 400, 305], [10, 100, 5]), { runs: 3, min: 300, median: 300, p90: 300, max: 300 });
});

test('interleaving: warm-up rounds first, then A B C A B C', () => {
  const order = interleave(['a', 'b'], 2, 1).map((s) => `${s.variant}${s.warmup ? '*' : ''}`);
  assert.equal(order, ['a*', 'b*', 'a', 'b', 'a', 'b']);
});

test('a report that does not match the schema is refused, naming the field', () => {
  assert.throws(() => validateReport({ version: 2 }), /bench report: must have required property/);
  const report = {
    version: 2, startedAt: 'x', durationS: 1, scenarios: [],
    options: { runs: 0, warmup: 0, quick: true, stage1s: [], scenarios: [], peers: [], densities: [] },
    host: { cpu: 'c', cores: 1, memoryMiB: 1, os: 'o', kernel: 'k', virtual: false, cgroups: 'v2', kvm: 'tcg', node: 'v24', nodeEnv: [] },
  };
  assert.throws(() => validateReport(report), /bench report\/options\/runs: must be >= 1/);
  validateReport({ ...report, options: { ...report.options, runs: 1 } });
});

test.run();
