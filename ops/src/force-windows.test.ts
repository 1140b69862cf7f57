import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Firestore } from '@google-cloud/firestore';
import { type ForceWindow, forcedAt, forceReplayReader } from './force-windows.ts';

const at = (iso: string) => new Date(`2026-11-24T${iso}Z`);
const window = (overrides: Partial<ForceWindow> = {}): ForceWindow => ({
  requestId: 'r1',
  subscription: 'webhook-events-processor',
  since: at('09:00:00'),
  createdAt: at('10:00:00'),
  expireAt: at('12:00:00'),
  state: 'active',
  ...overrides,
});

test('a window forces what was published between its since and its request, until it expires', () => {
  const windows = [window()];
  const now = at('10:30:00');
  assert.deepEqual(forcedAt(windows, { publishTime: at('09:30:00'), now }), at('10:00:00'));
  assert.equal(forcedAt(windows, { publishTime: at('08:59:59'), now }), undefined, 'before since');
  assert.equal(forcedAt(windows, { publishTime: at('10:00:01'), now }), undefined, 'published after the request');
  assert.equal(forcedAt(windows, { publishTime: at('09:30:00'), now: at('12:00:00') }), undefined, 'expired');
});

test('several windows: the latest request that covers the message wins; other subscriptions are ignored', () => {
  const windows = [
    window({ requestId: 'a', since: at('09:00:00'), createdAt: at('10:00:00') }),
    window({ requestId: 'b', since: at('09:45:00'), createdAt: at('11:00:00') }),
    window({ requestId: 'c', subscription: 'another', since: at('08:00:00'), createdAt: at('11:30:00') }),
  ];
  const now = at('11:40:00');
  const sub = 'projects/p/subscriptions/webhook-events-processor';
  assert.deepEqual(forcedAt(windows, { publishTime: at('09:50:00'), subscription: sub, now }), at('11:00:00'));
  assert.deepEqual(forcedAt(windows, { publishTime: at('09:10:00'), subscription: sub, now }), at('10:00:00'));
  assert.equal(forcedAt(windows, { publishTime: at('08:30:00'), subscription: sub, now }), undefined);
  const another = 'projects/p/subscriptions/another';
  assert.deepEqual(forcedAt(windows, { publishTime: at('08:30:00'), subscription: another, now }), at('11:30:00'));
});

/** A Firestore whose reads return the windows stored when each read began, and end when the test says so. */
function fakeFirestore() {
  const stored: Array<Record<string, unknown>> = [];
  const reads: Array<{ end: () => void }> = [];
  const firestore = {
    collection: () => ({
      where: () => ({
        get: () => {
          const docs = stored.map((data) => ({ data: () => data }));
          return new Promise((resolve) => reads.push({ end: () => resolve({ docs }) }));
        },
      }),
    }),
  } as unknown as Firestore;
  return { firestore, stored, reads };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

test('a question is answered by a read that began after it: a window written just before a redelivery is seen', async () => {
  const { firestore, stored, reads } = fakeFirestore();
  const clock = () => at('10:30:00');
  const ask = forceReplayReader(firestore, { clock });
  const early = ask(at('09:30:00'), 'webhook-events-processor');
  assert.equal(reads.length, 1);
  // The operator's window lands while that read is under way; the seek's redelivery arrives after it.
  stored.push({ ...window(), since: at('09:00:00'), createdAt: at('10:00:00'), expireAt: at('12:00:00') });
  const late = ask(at('09:30:00'), 'webhook-events-processor');
  reads[0]!.end();
  assert.equal(await early, undefined, 'the first question was asked before the window existed');
  await settle();
  assert.equal(reads.length, 2, 'the second question waits for a read of its own');
  reads[1]!.end();
  assert.deepEqual(await late, at('10:00:00'));
});

test('questions asked during a read share the next one: a burst of duplicates costs one read at a time', async () => {
  const { firestore, reads } = fakeFirestore();
  const ask = forceReplayReader(firestore, { clock: () => at('10:30:00') });
  const first = ask(at('09:30:00'));
  const burst = Array.from({ length: 50 }, () => ask(at('09:30:00')));
  reads[0]!.end();
  await first;
  await settle();
  assert.equal(reads.length, 2, '50 questions, one more read');
  reads[1]!.end();
  assert.deepEqual(await Promise.all(burst), Array(50).fill(undefined));
  void ask(at('09:30:00'));
  assert.equal(reads.length, 3, 'once idle, a question starts a read at once');
  reads[2]!.end();
});
