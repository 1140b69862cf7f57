import assert from 'node:assert/strict';
import { test } from 'node:test';
import { batchSizer, DEFAULT_SCAN_LIMITS, MAX_MESSAGE_BYTES, viewBytes } from './scan-limits.ts';

const MiB = 1024 * 1024;

test('pulls start at one message and grow while the messages are small, up to Pub/Sub maximum of 1,000', () => {
  const sizer = batchSizer({ pullBytes: 16 * MiB });
  const asked: number[] = [];
  for (let i = 0; i < 7; i += 1) {
    const n = sizer.next(Number.MAX_SAFE_INTEGER);
    asked.push(n);
    sizer.saw(Array.from({ length: n }, () => 2000));
  }
  assert.deepEqual(asked, [1, 4, 16, 64, 256, 1000, 1000]);
  assert.equal(sizer.next(7), 7, 'never more than the scan has left');
});

test('big messages shrink the pulls so that twice the largest seen, times the count, fits the bound', () => {
  const sizer = batchSizer({ pullBytes: 16 * MiB });
  assert.equal(sizer.next(1000), 1);
  sizer.saw([9 * 1000 * 1000]);
  for (let i = 0; i < 5; i += 1) assert.equal(sizer.next(1000), 1, 'one 9 MB message at a time');
  const medium = batchSizer({ pullBytes: 16 * MiB });
  medium.next(1000);
  medium.saw([500 * 1024]);
  assert.equal(medium.next(1000), 4);
  assert.equal(medium.next(1000), 16);
  assert.equal(medium.next(1000), 16, 'held at pullBytes / (2 x 500 KiB)');
});

test('a pull refused as too large shrinks the next ones from what it proves about the message sizes', () => {
  const sizer = batchSizer({ pullBytes: 16 * MiB });
  for (const n of [1, 4, 16, 64]) {
    assert.equal(sizer.next(1000), n);
    sizer.saw(Array.from({ length: n }, () => 1000));
  }
  assert.equal(sizer.next(1000), 256);
  // 256 messages held more than 16 MiB: some were above 64 KiB.
  sizer.overflowed(256);
  assert.equal(sizer.next(1000), 1, 'starts small again');
  assert.equal(sizer.next(1000), 4);
  assert.equal(sizer.next(1000), 16);
  assert.equal(sizer.next(1000), 64);
  assert.equal(sizer.next(1000), 128, 'held at pullBytes / (2 x 64 KiB)');
});

test('the default bound holds one message of Pub/Sub maximum size, and a page holds what it shows', () => {
  assert.ok(DEFAULT_SCAN_LIMITS.pullBytes > MAX_MESSAGE_BYTES * 1.2);
  const attributes = { source: 'stripe', deliveryId: 'evt_1' };
  assert.equal(viewBytes({ attributes }), 256 + 'source'.length + 'stripe'.length + 'deliveryId'.length + 'evt_1'.length);
  assert.equal(viewBytes({ attributes, body: 'é'.repeat(10) }) - viewBytes({ attributes }), 20, 'bodies counted in bytes');
});
