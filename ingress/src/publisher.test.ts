import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HttpError } from '../../shared/src/errors.ts';
import { createBoundedPublisher, type OutgoingMessage, type TopicPort } from './publisher.ts';

/** A topic whose publishes settle only when the test says so. */
function manualTopic() {
  const pending: Array<{ message: OutgoingMessage; resolve: (id: string) => void; reject: (error: Error) => void }> = [];
  const resumed: string[] = [];
  let flushed = 0;
  const topic: TopicPort = {
    publishMessage: (message) => new Promise((resolve, reject) => pending.push({ message, resolve, reject })),
    resumePublishing: (key) => void resumed.push(key),
    flush: async () => void (flushed += 1),
  };
  return { topic, pending, resumed, flushed: () => flushed };
}

const message = (size = 10, orderingKey?: string): OutgoingMessage => ({ data: Buffer.alloc(size), attributes: {}, orderingKey });

test('resolves with the message id once the topic confirms', async () => {
  const { topic, pending } = manualTopic();
  const publisher = createBoundedPublisher(topic, { maxOutstandingMessages: 10, maxOutstandingBytes: 1000, timeoutMs: 1000 });
  const result = publisher.publish(message());
  assert.deepEqual(publisher.outstanding(), { messages: 1, bytes: 10 });
  pending[0]!.resolve('m-1');
  assert.equal(await result, 'm-1');
  assert.deepEqual(publisher.outstanding(), { messages: 0, bytes: 0 });
});

test('refuses at once with 503 overloaded past the message or byte bound, and takes more once confirmations arrive', async () => {
  const { topic, pending } = manualTopic();
  const publisher = createBoundedPublisher(topic, { maxOutstandingMessages: 2, maxOutstandingBytes: 100, timeoutMs: 1000 });
  const first = publisher.publish(message(10));
  const second = publisher.publish(message(10));
  await assert.rejects(publisher.publish(message(10)), (error: HttpError) => error.code === 'overloaded' && error.status === 503 && error.retryAfterSeconds === 1);
  pending[0]!.resolve('a');
  await first;
  await assert.rejects(publisher.publish(message(95)), (error: HttpError) => error.code === 'overloaded', 'bytes bound');
  const third = publisher.publish(message(10));
  pending[1]!.resolve('b');
  pending[2]!.resolve('c');
  assert.deepEqual(await Promise.all([second, third]), ['b', 'c']);
  assert.equal(pending.length, 3, 'refused messages never reached the topic');
});

test('a single message larger than the byte bound still goes when nothing else is outstanding', async () => {
  const { topic, pending } = manualTopic();
  const publisher = createBoundedPublisher(topic, { maxOutstandingMessages: 5, maxOutstandingBytes: 100, timeoutMs: 1000 });
  const big = publisher.publish(message(500));
  pending[0]!.resolve('big');
  assert.equal(await big, 'big');
});

test('a refused publish becomes 503 unavailable with Retry-After, and resumes its ordering key', async () => {
  const { topic, pending, resumed } = manualTopic();
  const publisher = createBoundedPublisher(topic, { maxOutstandingMessages: 5, maxOutstandingBytes: 1000, timeoutMs: 1000 });
  const result = publisher.publish(message(10, 'pi_1'));
  pending[0]!.reject(Object.assign(new Error('5 NOT_FOUND: Topic not found'), { code: 5 }));
  await assert.rejects(result, (error: HttpError) => error.code === 'unavailable' && error.status === 503 && error.retryAfterSeconds === 5);
  assert.deepEqual(resumed, ['pi_1']);
  assert.deepEqual(publisher.outstanding(), { messages: 0, bytes: 0 });
});

test('a publish past its deadline answers 503 but stays counted until the topic settles it', async () => {
  const { topic, pending } = manualTopic();
  const publisher = createBoundedPublisher(topic, { maxOutstandingMessages: 5, maxOutstandingBytes: 1000, timeoutMs: 20 });
  await assert.rejects(publisher.publish(message(10)), (error: HttpError) => error.code === 'unavailable' && /in time/.test(error.message));
  assert.deepEqual(publisher.outstanding(), { messages: 1, bytes: 10 });
  pending[0]!.resolve('late');
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(publisher.outstanding(), { messages: 0, bytes: 0 });
});

test('drain waits for every outstanding publish, then flushes', async () => {
  const { topic, pending, flushed } = manualTopic();
  const publisher = createBoundedPublisher(topic, { maxOutstandingMessages: 5, maxOutstandingBytes: 1000, timeoutMs: 1000 });
  const publishes = [publisher.publish(message()), publisher.publish(message())];
  let drained = false;
  const drain = publisher.drain().then(() => (drained = true));
  pending[0]!.resolve('a');
  await publishes[0];
  assert.equal(drained, false);
  pending[1]!.resolve('b');
  await drain;
  assert.equal(flushed(), 1);
});
