// The page's formatting rules: durations, and which dead letters are flagged as about to expire (within 2 days, or
// past), the Overview's oldest dead letter and the list's expiry cells alike.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { count, duration, EXPIRY_WARNING_MS, expiresSoon, until } from './format.ts';

const NOW = Date.parse('2026-11-25T12:00:00Z');
const HOUR = 3_600_000;

test('durations read in their two largest units, short ones to the tenth of a second', () => {
  assert.equal(duration(850), '850 ms');
  assert.equal(duration(1_234), '1.2 s');
  assert.equal(duration(65_000), '1 min 5 s');
  assert.equal(duration(60_000), '1 min');
  assert.equal(duration(3 * 24 * HOUR + 4 * HOUR + 59_000), '3 d 4 h');
  assert.equal(duration(2 * 24 * HOUR + 30 * 60_000), '2 d');
  assert.equal(count(undefined), '0');
  assert.equal(count(12_345), '12,345');
});

test('a dead letter is flagged within 2 days of its expiry, or past it, and not before', () => {
  const at = (ms: number) => new Date(NOW + ms).toISOString();
  assert.equal(EXPIRY_WARNING_MS, 48 * HOUR);
  assert.equal(expiresSoon(at(3 * 24 * HOUR), NOW), false);
  assert.equal(expiresSoon(at(48 * HOUR + 60_000), NOW), false);
  assert.equal(expiresSoon(at(48 * HOUR), NOW), true);
  assert.equal(expiresSoon(at(HOUR), NOW), true);
  assert.equal(expiresSoon(at(-HOUR), NOW), true);
  assert.equal(expiresSoon(undefined, NOW), false);
  assert.equal(expiresSoon('not a date', NOW), false);
  assert.equal(until(at(26 * HOUR), NOW), 'in 1 d 2 h');
  assert.equal(until(at(-1), NOW), 'expired');
});
