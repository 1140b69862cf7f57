import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { STRIPE_MESSAGE } from '../../test/support/messages.ts';
import {
  buildMessageAttributes,
  buildProcessorDeadLetterAttributes,
  buildPubSubDeadLetterAttributes,
  buildRedriveAttributes,
  buildTraceAttribute,
  MAX_ATTRIBUTE_BYTES,
  type MessageAttributes,
  type ProcessorDeadLetterAttributes,
  PUBSUB_DEAD_LETTER_PREFIX,
  PubSubDeadLetterAttributes,
  parseDeadLetterAttributes,
  parseMessageAttributes,
  parseReceivedAt,
  parseRedriveAttributes,
  parseTraceAttribute,
  TRACE_ATTRIBUTE,
} from './contract.ts';

const message: MessageAttributes = STRIPE_MESSAGE;

const reasons: ProcessorDeadLetterAttributes = {
  deadLetterReason: 'permanent',
  errorClass: 'PermanentError',
  errorMessage: 'customer deleted',
  errorHandler: 'payments',
  errorAttempt: 3,
  failedAt: '2026-11-24T10:00:04.000Z',
  originalMessageId: 'm-1',
  originalPublishTime: '2026-11-24T10:00:01.000Z',
};

test('each set of attributes is built to strings and parsed back to what it was built from', () => {
  const { eventType: _, ...untyped } = message;
  const built = buildMessageAttributes({ ...untyped, eventType: undefined, replayCount: 2 });
  assert.deepEqual(built, { ...untyped, replayCount: '2' }, 'absent fields are left out: Pub/Sub takes strings only');
  assert.deepEqual(parseMessageAttributes(built).data, { ...untyped, replayCount: 2 });

  const dead = buildProcessorDeadLetterAttributes(reasons);
  assert.equal(dead.errorAttempt, '3');
  assert.deepEqual(parseDeadLetterAttributes({ ...buildMessageAttributes(message), ...dead }).processor, reasons);

  const pubsub = buildPubSubDeadLetterAttributes({ CloudPubSubDeadLetterSourceDeliveryCount: 10 });
  assert.deepEqual(parseDeadLetterAttributes(pubsub).pubsub, { CloudPubSubDeadLetterSourceDeliveryCount: 10 });

  assert.deepEqual(parseRedriveAttributes({ replayCount: '4', replayedAt: '2026-11-25T09:00:00.000Z' }), {
    replayCount: 4,
    replayedAt: '2026-11-25T09:00:00.000Z',
  });
});

test('a message whose attributes break the contract does not parse, naming what is wrong', () => {
  const { receivedAt: _, ...noTime } = buildMessageAttributes(message);
  assert.deepEqual(
    parseMessageAttributes(noTime).error?.issues.map((i) => i.path.join('.')),
    ['receivedAt'],
  );
  const badCount = parseMessageAttributes({ ...buildMessageAttributes(message), replayCount: 'NaN' });
  assert.deepEqual(
    badCount.error?.issues.map((i) => i.path.join('.')),
    ['replayCount'],
  );
});

test('the processor cuts free text to what an attribute carries', () => {
  const long = buildProcessorDeadLetterAttributes({ ...reasons, errorMessage: 'é'.repeat(MAX_ATTRIBUTE_BYTES) });
  assert.ok(Buffer.byteLength(long.errorMessage!) <= MAX_ATTRIBUTE_BYTES);
  assert.ok(long.errorMessage!.length > MAX_ATTRIBUTE_BYTES / 2 - 1, 'cut on a character boundary, not emptied');
});

test('a dead letter is read field by field: what parses is kept, even when the rest breaks the contract', () => {
  const read = parseDeadLetterAttributes({ source: 'stripe', deliveryId: 'evt_1', receivedAt: 'yesterday', errorAttempt: 'x' });
  assert.deepEqual(read.message, { source: 'stripe', deliveryId: 'evt_1' });
  assert.deepEqual(read.processor, {});
  assert.deepEqual(read.pubsub, {});
});

test('every attribute Pub/Sub adds to a dead letter carries its prefix, so a redrive strips the ones it does not know too', () => {
  for (const key of Object.keys(PubSubDeadLetterAttributes.shape)) assert.ok(key.startsWith(PUBSUB_DEAD_LETTER_PREFIX), key);
});

test('a redrive carries the original attributes, without the dead-letter ones, with the redrive counted and dated', () => {
  const now = new Date('2026-11-25T09:00:00Z');
  const ours = { ...buildMessageAttributes(message), ...buildProcessorDeadLetterAttributes(reasons) };
  assert.deepEqual(buildRedriveAttributes(ours, now), {
    ...buildMessageAttributes(message),
    replayCount: '1',
    replayedAt: '2026-11-25T09:00:00.000Z',
  });
  const pubsubs = {
    ...buildMessageAttributes({ ...message, replayCount: 2 }),
    ...buildPubSubDeadLetterAttributes({ CloudPubSubDeadLetterSourceDeliveryCount: 10, CloudPubSubDeadLetterSourceSubscription: 's' }),
    CloudPubSubDeadLetterSomethingNew: 'x',
  };
  const redriven = buildRedriveAttributes(pubsubs, now);
  assert.equal(redriven.replayCount, '3');
  assert.deepEqual(
    Object.keys(redriven).filter((key) => key.startsWith(PUBSUB_DEAD_LETTER_PREFIX)),
    [],
  );
  assert.ok(parseMessageAttributes(redriven).success, 'what goes back is a message the processor takes');
});

test("the trace attribute has the name @google-cloud/pubsub's OpenTelemetry support reads, so its subscribers continue the trace", () => {
  const library = createRequire(import.meta.url)('@google-cloud/pubsub/build/src/telemetry-tracing.js') as { modernAttributeName: string };
  assert.equal(TRACE_ATTRIBUTE, library.modernAttributeName);
});

test('the trace attribute: built from a context, read back; a broken one reads as absent and never breaks the message', () => {
  const trace = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', sampled: true };
  const attributes = { ...buildMessageAttributes(message), ...buildTraceAttribute(trace) };
  assert.equal(attributes[TRACE_ATTRIBUTE], '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
  assert.deepEqual(parseTraceAttribute(attributes), trace);
  assert.equal(parseMessageAttributes(attributes).data?.[TRACE_ATTRIBUTE], attributes[TRACE_ATTRIBUTE]);
  const broken = { ...attributes, [TRACE_ATTRIBUTE]: 'not-a-traceparent' };
  assert.equal(parseTraceAttribute(broken), undefined);
  const parsed = parseMessageAttributes(broken);
  assert.ok(parsed.success, 'a broken trace does not dead-letter the event');
  assert.equal(parsed.data[TRACE_ATTRIBUTE], undefined);
  // A dead letter keeps it and a redrive sends it back: the redriven delivery's lines join the webhook's trace.
  const redriven = buildRedriveAttributes({ ...attributes, ...buildProcessorDeadLetterAttributes(reasons) }, new Date());
  assert.equal(redriven[TRACE_ATTRIBUTE], attributes[TRACE_ATTRIBUTE]);
});

test('receivedAt read as a time, or not at all', () => {
  assert.equal(parseReceivedAt(buildMessageAttributes(message)), Date.parse(message.receivedAt));
  assert.equal(parseReceivedAt({ receivedAt: 'yesterday' }), undefined);
  assert.equal(parseReceivedAt({}), undefined);
});
