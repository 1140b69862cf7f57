import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../../shared/src/errors.ts';
import { sheddingLimits } from './shedding.ts';

const GiB = 2 ** 30;

test('by default a second, at most half the publish deadline, and a thirty-second of the memory', () => {
  assert.deepEqual(sheddingLimits({ memoryBytes: GiB, publishTimeoutMs: 5000 }), { slowMs: 1000, maxLateBytes: 32 * 2 ** 20 });
  assert.deepEqual(sheddingLimits({ memoryBytes: 512 * 2 ** 20, publishTimeoutMs: 1000 }), { slowMs: 500, maxLateBytes: 16 * 2 ** 20 });
  assert.deepEqual(sheddingLimits({ memoryBytes: GiB, publishTimeoutMs: 5000, slowMs: 2000, maxLateBytes: 2 ** 20 }), {
    slowMs: 2000,
    maxLateBytes: 2 ** 20,
  });
});

test('a threshold not below the publish deadline, or a late-bytes bound past an eighth of the memory, stops the start-up', () => {
  assert.throws(
    () => sheddingLimits({ memoryBytes: GiB, publishTimeoutMs: 5000, slowMs: 5000 }),
    (error: Error) =>
      error instanceof ConfigError && /HOOKPIPE_PUBLISH_SLOW_MS: 5000 ms is not below HOOKPIPE_PUBLISH_TIMEOUT_MS/.test(error.message),
  );
  assert.throws(
    () => sheddingLimits({ memoryBytes: GiB, publishTimeoutMs: 5000, maxLateBytes: GiB / 4 }),
    (error: Error) => error instanceof ConfigError && /HOOKPIPE_MAX_LATE_PUBLISH_BYTES: at most an eighth/.test(error.message),
  );
});
