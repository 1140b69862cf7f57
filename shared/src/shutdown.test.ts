// The shutdown budget's arithmetic and the drain deadline's timer, on fake timers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { abortAfter, drainDeadlineMs } from './shutdown.ts';

test('the drain gets the shutdown budget less 2 s (half of a short one) to answer and close', () => {
  assert.equal(drainDeadlineMs(9_000), 7_000);
  assert.equal(drainDeadlineMs(2_000), 1_000);
  assert.equal(drainDeadlineMs(100), 50);
});

test('abortAfter aborts at its time with its reason, and not once stopped', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const late = new AbortController();
  abortAfter(late, 1000, () => new Error('drain over'));
  t.mock.timers.tick(999);
  assert.equal(late.signal.aborted, false);
  t.mock.timers.tick(1);
  assert.equal((late.signal.reason as Error).message, 'drain over');

  const done = new AbortController();
  const stop = abortAfter(done, 1000, () => new Error('drain over'));
  stop();
  t.mock.timers.tick(5000);
  assert.equal(done.signal.aborted, false);
});
