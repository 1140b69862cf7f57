import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cachedProbe } from './cached.ts';

test('a cached probe asks once per period and counts a throw as false', async () => {
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
  const failing = cachedProbe(async () => {
    throw new Error('unreachable');
  }, 0);
  assert.equal(await failing(), false);
});
