// Where a delivery's receive-to-processed latency starts, for the delivery's log line (app.ts, which the latency
// metric reads) and the ledger's latencyMs (ledger.ts, which the stats average): the ingress's receipt, or the
// redrive's time for a message an operator redrove, so that days spent as a dead letter are not counted.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stripeAttributes } from '../../test/support/messages.ts';
import { deliveryLatencyMs } from './app.ts';
import { latencyOf, measuredFrom } from './ledger.ts';

const RECEIVED = Date.parse('2026-11-24T10:00:00.000Z');

test('the latency starts at the receipt; for a redriven message at its redrive', () => {
  assert.deepEqual(measuredFrom(stripeAttributes()), new Date(RECEIVED));
  const redriven = stripeAttributes({ replayCount: 1, replayedAt: '2026-11-30T09:00:00.000Z' });
  assert.deepEqual(measuredFrom(redriven), new Date('2026-11-30T09:00:00.000Z'));
  assert.equal(deliveryLatencyMs(redriven, Date.parse('2026-11-30T09:00:00.250Z')), 250, 'the log line: from the redrive');
  assert.equal(deliveryLatencyMs(stripeAttributes(), RECEIVED + 1234), 1234);
  // A redrive time that does not parse is none: the receipt it is.
  assert.deepEqual(measuredFrom({ ...stripeAttributes(), replayedAt: 'yesterday' }), new Date(RECEIVED));
  assert.equal(measuredFrom({ source: 'stripe' }), undefined);
  assert.equal(deliveryLatencyMs({ source: 'stripe' }, RECEIVED), undefined);
  assert.equal(latencyOf(new Date(RECEIVED + 5), new Date(RECEIVED)), 0, 'never negative when clocks differ');
});
