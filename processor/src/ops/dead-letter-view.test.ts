import assert from 'node:assert/strict';
import { test } from 'node:test';
import { matches, replayAttributes, replayCommand, viewOf } from './dead-letter-view.ts';

const ours = {
  messageId: 'dl-1',
  data: Buffer.from('{"id":"evt_1"}'),
  publishTime: new Date('2026-11-24T10:00:05Z'),
  attributes: {
    source: 'stripe',
    provider: 'stripe',
    deliveryId: 'evt_1',
    eventType: 'payment_intent.succeeded',
    receivedAt: '2026-11-24T10:00:00Z',
    deadLetterReason: 'permanent',
    errorClass: 'PermanentError',
    errorMessage: 'customer deleted',
    errorHandler: 'payments',
    errorAttempt: '1',
    failedAt: '2026-11-24T10:00:04.000Z',
    originalMessageId: 'm-1',
    originalPublishTime: '2026-11-24T10:00:01Z',
  },
};
const pubsubs = {
  messageId: 'dl-2',
  data: Buffer.from('x'),
  publishTime: new Date('2026-11-24T12:00:00Z'),
  attributes: {
    source: 'github',
    provider: 'github',
    deliveryId: 'gh-1',
    eventType: 'push',
    receivedAt: '2026-11-24T11:00:00Z',
    replayCount: '2',
    CloudPubSubDeadLetterSourceDeliveryCount: '10',
    CloudPubSubDeadLetterSourceSubscription: 'webhook-events-processor',
  },
};

test('a dead letter is described from our error attributes, or from Pub/Sub own when it dead-lettered it', () => {
  const a = viewOf(ours);
  assert.deepEqual(
    { reason: a.reason, errorClass: a.errorClass, attempts: a.attempts, at: a.deadLetteredAt, size: a.size, body: a.body },
    { reason: 'permanent', errorClass: 'PermanentError', attempts: 1, at: '2026-11-24T10:00:04.000Z', size: 14, body: undefined },
  );
  assert.equal(viewOf(ours, true).body, '{"id":"evt_1"}');
  const b = viewOf(pubsubs);
  assert.deepEqual(
    { reason: b.reason, errorClass: b.errorClass, attempts: b.attempts, at: b.deadLetteredAt, replays: b.replayCount },
    { reason: 'delivery-attempts', errorClass: 'MaxDeliveryAttemptsExceeded', attempts: 10, at: '2026-11-24T12:00:00.000Z', replays: 2 },
  );
});

test('filters: source, event type glob, error class, delivery ids, time window', () => {
  const a = viewOf(ours);
  assert.ok(matches(a, {}));
  assert.ok(matches(a, { source: 'stripe', eventType: 'payment_intent.*', errorClass: 'PermanentError' }));
  assert.ok(!matches(a, { source: 'github' }));
  assert.ok(!matches(a, { eventType: 'charge.*' }));
  assert.ok(matches(a, { deliveryIds: ['evt_0', 'evt_1'] }));
  assert.ok(!matches(a, { deliveryIds: ['evt_0'] }));
  assert.ok(matches(a, { since: new Date('2026-11-24T10:00:00Z'), until: new Date('2026-11-24T10:01:00Z') }));
  assert.ok(!matches(a, { since: new Date('2026-11-24T10:00:05Z') }));
  assert.ok(!matches(viewOf(pubsubs), { eventType: 'pull_request' }));
});

test('a replay carries the original attributes, without the dead-letter ones, with the replay counted', () => {
  const now = new Date('2026-11-25T09:00:00Z');
  assert.deepEqual(replayAttributes(ours.attributes, now), {
    source: 'stripe',
    provider: 'stripe',
    deliveryId: 'evt_1',
    eventType: 'payment_intent.succeeded',
    receivedAt: '2026-11-24T10:00:00Z',
    replayCount: '1',
    replayedAt: '2026-11-25T09:00:00.000Z',
  });
  assert.equal(replayAttributes(pubsubs.attributes, now).replayCount, '3');
  assert.equal(replayAttributes(pubsubs.attributes, now).CloudPubSubDeadLetterSourceDeliveryCount, undefined);
});

test('a replay too big for the admin page is given as the CLI command, quoted for the shell', () => {
  assert.equal(replayCommand({}), 'npx hookpipe dlq replay');
  assert.equal(
    replayCommand(
      { source: 'stripe', eventType: 'payment_intent.*', deliveryIds: ['evt_1', "it's"], since: new Date('2026-11-24T10:00:00Z') },
      { limit: 900, rate: 2.5 },
    ),
    "npx hookpipe dlq replay --source stripe --event-type 'payment_intent.*' --delivery-id evt_1 --delivery-id 'it'\\''s' " +
      '--since 2026-11-24T10:00:00.000Z --limit 900 --rate 2.5',
  );
  assert.equal(replayCommand({ errorClass: '$(rm -rf ~)' }), "npx hookpipe dlq replay --error-class '$(rm -rf ~)'");
});
