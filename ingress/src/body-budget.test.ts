import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../shared/src/errors.ts';
import { parseMemoryQuantity } from '../../shared/src/settings.ts';
import { bodyBudgetLimits, checkBudgetFitsSources, createBodyBudget, overBudget } from './body-budget.ts';

const KiB = 1024;
// 100 KiB in all, 10 KiB a small body, 30 KiB kept for small ones: large bodies share 70 KiB.
const limits = { totalBytes: 100 * KiB, smallBodyBytes: 10 * KiB, reservedForSmallBytes: 30 * KiB };

test('large bodies draw from a capped pool; small ones still get the reserved share when it is full', () => {
  const budget = createBodyBudget(limits);
  const large = [budget.hold(), budget.hold(), budget.hold()];
  assert.equal(large[0]!.reserveUpTo(35 * KiB), true);
  assert.equal(large[1]!.reserveUpTo(35 * KiB), true);
  assert.equal(large[2]!.reserveUpTo(11 * KiB), false, 'the large pool is full');
  assert.equal(large[2]!.refused, true);
  assert.equal(large[2]!.bytes, 0, 'a refused reservation takes nothing');
  assert.deepEqual(budget.usage(), { smallBytes: 0, largeBytes: 70 * KiB });

  const small = [budget.hold(), budget.hold(), budget.hold()];
  for (const hold of small) assert.equal(hold.reserveUpTo(10 * KiB), true);
  assert.equal(budget.hold().reserveUpTo(KiB), false, 'the whole budget is used');
  assert.deepEqual(budget.usage(), { smallBytes: 30 * KiB, largeBytes: 70 * KiB });

  large[0]!.release();
  assert.equal(budget.hold().reserveUpTo(35 * KiB), true, 'what a large body released, another may take');
});

test('small bodies may use the large pool while it is free, and then large ones wait for them', () => {
  const budget = createBodyBudget(limits);
  for (let i = 0; i < 9; i += 1) assert.equal(budget.hold().reserveUpTo(10 * KiB), true);
  assert.equal(budget.hold().reserveUpTo(11 * KiB), false, '90 KiB held: no room for 11 KiB');
  assert.equal(budget.hold().reserveUpTo(10 * KiB), true);
});

test('a body without a declared length grows chunk by chunk and moves into the large pool when it passes the threshold', () => {
  const budget = createBodyBudget(limits);
  const chunked = budget.hold();
  assert.equal(chunked.reserveUpTo(4 * KiB), true);
  assert.equal(chunked.reserveUpTo(8 * KiB), true);
  assert.deepEqual(budget.usage(), { smallBytes: 8 * KiB, largeBytes: 0 });
  assert.equal(chunked.reserveUpTo(8 * KiB), true, 'no growth, nothing to check');
  assert.equal(chunked.reserveUpTo(12 * KiB), true);
  assert.deepEqual(budget.usage(), { smallBytes: 0, largeBytes: 12 * KiB }, 'all its bytes moved into the large pool');

  const hostile = budget.hold();
  assert.equal(hostile.reserveUpTo(50 * KiB), true);
  const other = budget.hold();
  assert.equal(other.reserveUpTo(8 * KiB), true);
  assert.equal(other.reserveUpTo(10 * KiB + 1), false, 'large now, and 62 KiB + 10 KiB + 1 is past the 70 KiB pool');
  assert.equal(other.bytes, 8 * KiB, 'what it held stays held until its request ends');
  assert.deepEqual(budget.usage(), { smallBytes: 8 * KiB, largeBytes: 62 * KiB });
  other.release();
  chunked.release();
  hostile.release();
  assert.deepEqual(budget.usage(), { smallBytes: 0, largeBytes: 0 });
});

test('release returns every byte once, however often it is called, and a released hold takes nothing more', () => {
  const budget = createBodyBudget(limits);
  const hold = budget.hold();
  hold.reserveUpTo(50 * KiB);
  hold.release();
  hold.release();
  assert.deepEqual(budget.usage(), { smallBytes: 0, largeBytes: 0 });
  assert.equal(hold.reserveUpTo(KiB), false);
  assert.deepEqual(budget.usage(), { smallBytes: 0, largeBytes: 0 });
});

test('the refusal is a 503 overloaded with Retry-After, so the provider retries', () => {
  const error = overBudget();
  assert.equal(error.status, 503);
  assert.equal(error.code, 'overloaded');
  assert.ok(error.retryAfterSeconds! > 0);
});

test('Cloud Run memory sizes are read as Terraform writes them', () => {
  assert.equal(parseMemoryQuantity('1Gi'), 2 ** 30);
  assert.equal(parseMemoryQuantity('512Mi'), 512 * 2 ** 20);
  assert.equal(parseMemoryQuantity('2G'), 2e9);
  assert.equal(parseMemoryQuantity('1048576'), 1048576);
  assert.equal(parseMemoryQuantity('1 GB'), undefined);
  assert.equal(parseMemoryQuantity('lots'), undefined);
});

test('the default budget is a quarter of memory, with concurrency x small-body size kept for small bodies', () => {
  const derived = bodyBudgetLimits({ memoryBytes: 2 ** 30, concurrency: 250, smallBodyBytes: 256 * KiB });
  assert.deepEqual(derived, { totalBytes: 256 * 2 ** 20, smallBodyBytes: 256 * KiB, reservedForSmallBytes: 250 * 256 * KiB });
  assert.equal(bodyBudgetLimits({ memoryBytes: 2 ** 30, concurrency: 10, smallBodyBytes: KiB, totalBytes: 2 ** 20 }).totalBytes, 2 ** 20);
});

test('a budget that cannot work is refused at start-up, naming the variables', () => {
  assert.throws(
    () => bodyBudgetLimits({ memoryBytes: 2 ** 30, concurrency: 250, smallBodyBytes: 256 * KiB, totalBytes: 600 * 2 ** 20 }),
    (error: Error) => error instanceof ConfigError && /BODY_BUDGET_BYTES: at most half of the instance's memory/.test(error.message),
  );
  assert.throws(
    () => bodyBudgetLimits({ memoryBytes: 128 * 2 ** 20, concurrency: 250, smallBodyBytes: 256 * KiB }),
    (error: Error) => error instanceof ConfigError && /BODY_BUDGET_BYTES: \d+ bytes leave nothing for large bodies/.test(error.message),
  );
});

test('a source whose largest body could never fit the large pool stops the start, named with its limit', () => {
  const derived = bodyBudgetLimits({ memoryBytes: 32 * 2 ** 20, concurrency: 8, smallBodyBytes: 64 * KiB });
  assert.doesNotThrow(() => checkBudgetFitsSources(derived, [{ name: 'stripe', maxBodyBytes: 512 * KiB }]));
  assert.throws(
    () =>
      checkBudgetFitsSources(derived, [
        { name: 'stripe', maxBodyBytes: 512 * KiB },
        { name: 'github', maxBodyBytes: 9_500_000 },
      ]),
    (error: Error) => /sources: "github" allows bodies of 9500000 bytes/.test(error.message) && !/stripe/.test(error.message),
  );
});
