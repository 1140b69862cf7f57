import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildProcessorDeadLetterAttributes, buildPubSubDeadLetterAttributes } from '../../shared/src/contract.ts';
import { expiryOf, matches, redriveCommand, viewOf } from './dead-letter-view.ts';

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
    ...buildProcessorDeadLetterAttributes({
      deadLetterReason: 'permanent',
      errorClass: 'PermanentError',
      errorMessage: 'customer deleted',
      errorHandler: 'payments',
      errorAttempt: 1,
      failedAt: '2026-11-24T10:00:04.000Z',
      originalMessageId: 'm-1',
      originalPublishTime: '2026-11-24T10:00:01Z',
    }),
  },
  orderingKey: 'pi_1',
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
    ...buildPubSubDeadLetterAttributes({
      CloudPubSubDeadLetterSourceDeliveryCount: 10,
      CloudPubSubDeadLetterSourceSubscription: 'webhook-events-processor',
    }),
  },
};

test('a dead letter is described from our error attributes, or from Pub/Sub own when it dead-lettered it', () => {
  const a = viewOf(ours);
  assert.deepEqual(
    {
      reason: a.reason,
      errorClass: a.errorClass,
      attempts: a.attempts,
      at: a.deadLetteredAt,
      size: a.size,
      body: a.body,
      key: a.orderingKey,
    },
    {
      reason: 'permanent',
      errorClass: 'PermanentError',
      attempts: 1,
      at: '2026-11-24T10:00:04.000Z',
      size: 14,
      body: undefined,
      key: 'pi_1',
    },
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

test('a dead letter that breaks the contract is still shown: whatever attributes parse, the rest left out', () => {
  const broken = viewOf({
    messageId: 'dl-3',
    data: Buffer.from('x'),
    publishTime: new Date('2026-11-24T13:00:00Z'),
    attributes: {
      source: 'stripe',
      deliveryId: 'evt_3',
      receivedAt: 'yesterday',
      deadLetterReason: 'invalid-message',
      errorAttempt: 'two',
    },
  });
  assert.deepEqual(
    { source: broken.source, deliveryId: broken.deliveryId, reason: broken.reason, attempts: broken.attempts, replays: broken.replayCount },
    { source: 'stripe', deliveryId: 'evt_3', reason: 'invalid-message', attempts: undefined, replays: 0 },
  );
});

test('a redrive too big for the admin page is given as the CLI command, quoted for the shell', () => {
  assert.equal(redriveCommand({}), 'npx hookpipe dlq redrive');
  assert.equal(
    redriveCommand(
      { source: 'stripe', eventType: 'payment_intent.*', deliveryIds: ['evt_1', "it's"], since: new Date('2026-11-24T10:00:00Z') },
      { limit: 900, rate: 2.5 },
    ),
    "npx hookpipe dlq redrive --source stripe --event-type 'payment_intent.*' --delivery-id evt_1 --delivery-id 'it'\\''s' " +
      '--since 2026-11-24T10:00:00.000Z --limit 900 --rate 2.5',
  );
  assert.equal(redriveCommand({ errorClass: '$(rm -rf ~)' }), "npx hookpipe dlq redrive --error-class '$(rm -rf ~)'");
});

test('a dead letter expires its subscription retention after it reached the dead-letter topic, not after it failed', () => {
  const view = viewOf(ours);
  assert.equal(view.publishedAt, '2026-11-24T10:00:05.000Z');
  assert.equal(expiryOf(view.publishedAt, 7 * 86_400), '2026-12-01T10:00:05.000Z');
});
