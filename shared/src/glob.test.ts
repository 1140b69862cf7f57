import assert from 'node:assert/strict';
import { test } from 'node:test';
import { globMatches, isGlob } from './glob.ts';

test('globs match whole event types, with * and ?', () => {
  assert.ok(globMatches('payment_intent.*', 'payment_intent.succeeded'));
  assert.ok(!globMatches('payment_intent.*', 'charge.refunded'));
  assert.ok(globMatches('orders/*', 'orders/create'));
  assert.ok(globMatches('v?.event', 'v1.event'));
  assert.ok(!globMatches('push', 'push_request'));
  assert.ok(!globMatches('a.b', 'aXb'), 'dots are literal');
  assert.deepEqual(['push', 'orders/*', 'v?'].map(isGlob), [false, true, true]);
});
