import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cachedProbe } from './cached.ts';

test('a cached probe asks once per period, counts a throw as false and hands the error on', async () => {
  let calls = 0;
  let answer = true;
  const probe = cachedProbe(async () => {
    calls += 1;
    return answer;
  }, 60_000);
  assert.equal(await probe(), true);
  answer = false;
  assert.equal(await probe(), true, 'the cached answer within the period');
  assert.equal(calls, 1);
  const failures: unknown[] = [];
  const failing = cachedProbe(
    async () => {
      throw new Error('unreachable');
    },
    0,
    (error) => failures.push(error),
  );
  assert.equal(await failing(), false);
  assert.deepEqual(
    failures.map((e) => (e as Error).message),
    ['unreachable'],
    'the failure is handed on, not swallowed',
  );
});
