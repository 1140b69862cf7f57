// The arithmetic behind the tracing benchmark's verdict: spread over rounds, ratio to the baseline, the noise band.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compare, spreadOf } from './noise.ts';

const close = (actual: number | undefined, expected: number) => assert.ok(Math.abs(actual! - expected) < 1e-9, `${actual} != ${expected}`);

test('the spread is half the range of the rounds, relative to their mean', () => {
  const spread = spreadOf([90, 110, 100]);
  close(spread.mean, 100);
  assert.equal(spread.min, 90);
  assert.equal(spread.max, 110);
  close(spread.relative, 0.1);
  close(spreadOf([80]).relative, 0);
  assert.throws(() => spreadOf([]), /no rounds/);
});

test('a candidate inside the baseline spread is within noise; one past it is above', () => {
  const baseline = [98, 100, 102]; // ±2%
  const aa = [100, 101, 99]; // A/A ratio 1.0
  const within = compare(baseline, [100, 101, 102], aa);
  close(within.ratio, 1.01);
  close(within.baselineSpread, 0.02);
  close(within.noise, 0.02);
  assert.equal(within.verdict, 'within noise');
  const above = compare(baseline, [103, 104, 105], aa);
  close(above.ratio, 1.04);
  assert.equal(above.verdict, 'above noise');
  assert.equal(compare(baseline, [90, 91, 92], aa).verdict, 'below noise');
});

test('the A/A comparison widens the band when two processes of the same code differ more than rounds do', () => {
  const baseline = [100, 100, 100]; // no spread at all
  const aa = [95, 95, 95]; // yet a second process of the same code costs 5% less
  const result = compare(baseline, [104, 104, 104], aa);
  close(result.aaRatio, 0.95);
  close(result.noise, 0.05);
  assert.equal(result.verdict, 'within noise');
  // Without the A/A, the same candidate is beyond a band of 0.
  const alone = compare(baseline, [104, 104, 104]);
  assert.equal(alone.aaRatio, undefined);
  assert.equal(alone.noise, 0);
  assert.equal(alone.verdict, 'above noise');
});

test("the A/A's own scatter widens the band even when its mean lands on the baseline's", () => {
  const baseline = [100, 100, 100];
  const aa = [75, 125, 100]; // mean 100, yet ±25% round to round
  const result = compare(baseline, [80, 80, 80], aa);
  close(result.aaRatio, 1);
  close(result.aaSpread, 0.25);
  close(result.noise, 0.25);
  assert.equal(result.verdict, 'too noisy to tell');
});

test('a band too wide to see a cost says so, yet a ratio beyond it is still above', () => {
  const baseline = [80, 100, 120]; // ±20%: nothing under 20% could be seen
  const aa = [100, 100, 100];
  const inside = compare(baseline, [105, 105, 105], aa);
  close(inside.noise, 0.2);
  assert.equal(inside.verdict, 'too noisy to tell');
  assert.equal(compare(baseline, [130, 130, 130], aa).verdict, 'above noise');
  // At the useful limit (±10%) a ratio inside the band is still within noise.
  assert.equal(compare([90, 100, 110], [104, 104, 104], aa).verdict, 'within noise');
});

test('a ratio that cannot be computed is never called within noise or cheaper', () => {
  assert.equal(compare([0, 0], [5, 5]).verdict, 'above noise');
  assert.equal(compare([0, 0], [0, 0]).verdict, 'above noise');
});
