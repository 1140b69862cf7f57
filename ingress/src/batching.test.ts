import assert from 'node:assert/strict';
import { mock, test } from 'node:test';
import type { OutgoingMessage } from '../../shared/src/pubsub.ts';
import { type BatchingLimits, createAdaptiveBatcher, messageBytes, PublishExpiredError } from './batching.ts';

/** A Publish RPC that records each request and settles it only when the test says so. */
function manualRpc() {
  const calls: Array<{
    messages: OutgoingMessage[];
    orderingKey: string | undefined;
    timeoutMs: number;
    confirm(): void;
    fail(error: Error): void;
  }> = [];
  let nextId = 0;
  const rpc = (request: { messages: OutgoingMessage[]; orderingKey: string | undefined }, timeoutMs: number) =>
    new Promise<string[]>((resolve, reject) =>
      calls.push({
        ...request,
        timeoutMs,
        confirm: () =>
          resolve(
            request.messages.map(() => {
              nextId += 1;
              return `id-${nextId}`;
            }),
          ),
        fail: reject,
      }),
    );
  return { rpc, calls };
}

const limits = (overrides: Partial<BatchingLimits> = {}): BatchingLimits => ({
  maxMessages: 1000,
  maxBytes: 1024 * 1024,
  maxConcurrentRpcs: 1,
  timeoutMs: 5000,
  releaseSlotAfterMs: 500,
  ...overrides,
});

const message = (text: string, orderingKey?: string): OutgoingMessage => ({
  data: Buffer.from(text),
  attributes: { source: 'test' },
  orderingKey,
});
const turn = () => new Promise((resolve) => setImmediate(resolve));
const texts = (messages: OutgoingMessage[]) => messages.map((m) => m.data.toString());

test('a lone message is sent on the next turn of the event loop, alone, with no batching wait', async () => {
  const { rpc, calls } = manualRpc();
  const batcher = createAdaptiveBatcher(rpc, limits());
  const published = batcher.publishMessage(message('a'));
  assert.equal(calls.length, 0, 'messages arriving in the same turn may still join it');
  await turn();
  assert.equal(calls.length, 1);
  assert.deepEqual(texts(calls[0]!.messages), ['a']);
  calls[0]!.confirm();
  assert.equal(await published, 'id-1');
});

test('messages arriving while a request is under way go together in one request the moment it returns', async () => {
  const { rpc, calls } = manualRpc();
  const batcher = createAdaptiveBatcher(rpc, limits({ maxConcurrentRpcs: 1 }));
  const first = batcher.publishMessage(message('a'));
  await turn();
  const later = ['b', 'c', 'd'].map((text) => batcher.publishMessage(message(text)));
  await turn();
  assert.equal(calls.length, 1, 'no second request while the first is under way');
  calls[0]!.confirm();
  await first;
  assert.equal(calls.length, 2);
  assert.deepEqual(texts(calls[1]!.messages), ['b', 'c', 'd']);
  calls[1]!.confirm();
  assert.deepEqual(await Promise.all(later), ['id-2', 'id-3', 'id-4']);
  assert.deepEqual(batcher.pending(), { queued: 0, rpcs: 0 });
});

test('with two request slots, the second goes at once and later ones gather behind both', async () => {
  const { rpc, calls } = manualRpc();
  const batcher = createAdaptiveBatcher(rpc, limits({ maxConcurrentRpcs: 2 }));
  void batcher.publishMessage(message('a'));
  await turn();
  void batcher.publishMessage(message('b'));
  await turn();
  assert.equal(calls.length, 2);
  void batcher.publishMessage(message('c'));
  void batcher.publishMessage(message('d'));
  await turn();
  assert.equal(calls.length, 2);
  calls[1]!.confirm();
  await turn();
  assert.deepEqual(texts(calls[2]!.messages), ['c', 'd']);
});

test('batches keep within the message and byte limits, and a full batch goes without waiting for a slot', async () => {
  const { rpc, calls } = manualRpc();
  const one = messageBytes(message('x'));
  const batcher = createAdaptiveBatcher(rpc, limits({ maxMessages: 3, maxBytes: 10 * one, maxConcurrentRpcs: 1 }));
  void batcher.publishMessage(message('0'));
  await turn();
  for (let i = 1; i <= 7; i += 1) void batcher.publishMessage(message(String(i)));
  assert.deepEqual(
    calls.map((call) => texts(call.messages)),
    [['0'], ['1', '2', '3'], ['4', '5', '6']],
    'two full batches left at once although the one slot was taken',
  );
  calls[0]!.confirm();
  await turn();
  assert.deepEqual(texts(calls[3]!.messages), ['7']);

  const bytes = manualRpc();
  const byBytes = createAdaptiveBatcher(bytes.rpc, limits({ maxBytes: 2 * one + 1, maxConcurrentRpcs: 1 }));
  void byBytes.publishMessage(message('a'));
  void byBytes.publishMessage(message('b'));
  void byBytes.publishMessage(message('c'));
  await turn();
  assert.deepEqual(
    bytes.calls.map((call) => texts(call.messages)),
    [['a', 'b']],
  );
  bytes.calls[0]!.confirm();
  await turn();
  assert.deepEqual(texts(bytes.calls[1]!.messages), ['c']);
});

test('a message larger than the byte limit is still sent, alone', async () => {
  const { rpc, calls } = manualRpc();
  const batcher = createAdaptiveBatcher(rpc, limits({ maxBytes: 10 }));
  const big = batcher.publishMessage(message('x'.repeat(100)));
  await turn();
  assert.equal(calls[0]!.messages.length, 1);
  calls[0]!.confirm();
  assert.equal(await big, 'id-1');
});

test('one ordering key per request; a key waits for its own request, not for other keys or unkeyed messages', async () => {
  const { rpc, calls } = manualRpc();
  const batcher = createAdaptiveBatcher(rpc, limits({ maxConcurrentRpcs: 1 }));
  void batcher.publishMessage(message('p1', 'pi_1'));
  void batcher.publishMessage(message('q1', 'pi_2'));
  void batcher.publishMessage(message('u1'));
  await turn();
  assert.deepEqual(
    calls.map((call) => [call.orderingKey, texts(call.messages)]),
    [
      ['pi_1', ['p1']],
      ['pi_2', ['q1']],
      [undefined, ['u1']],
    ],
  );
  void batcher.publishMessage(message('p2', 'pi_1'));
  void batcher.publishMessage(message('p3', 'pi_1'));
  await turn();
  assert.equal(calls.length, 3, 'pi_1 waits for its request under way');
  calls[0]!.confirm();
  await turn();
  assert.deepEqual([calls[3]!.orderingKey, texts(calls[3]!.messages)], ['pi_1', ['p2', 'p3']]);
  for (const call of calls) assert.ok(call.messages.every((m) => m.orderingKey === call.orderingKey));
});

test('a failed request of a key fails what queued behind it (sending it would overtake the resend); other keys go on', async () => {
  const { rpc, calls } = manualRpc();
  const batcher = createAdaptiveBatcher(rpc, limits());
  const first = batcher.publishMessage(message('p1', 'pi_1'));
  await turn();
  const behind = batcher.publishMessage(message('p2', 'pi_1'));
  const other = batcher.publishMessage(message('q1', 'pi_2'));
  await turn();
  calls[0]!.fail(new Error('14 UNAVAILABLE'));
  await assert.rejects(first, /UNAVAILABLE/);
  await assert.rejects(behind, /UNAVAILABLE/);
  assert.equal(calls.filter((call) => call.orderingKey === 'pi_1').length, 1, 'p2 was never sent');
  calls[1]!.confirm();
  assert.match(await other, /^id-/);

  // Later messages of the key start afresh.
  const again = batcher.publishMessage(message('p1', 'pi_1'));
  await turn();
  calls.at(-1)!.confirm();
  assert.match(await again, /^id-/);
  assert.deepEqual(batcher.pending(), { queued: 0, rpcs: 0 });
});

test("a request's deadline is its oldest message's; a message whose time ran out while waiting is failed unsent", async () => {
  let clock = 1_000;
  const { rpc, calls } = manualRpc();
  const batcher = createAdaptiveBatcher(rpc, limits({ timeoutMs: 5000 }), () => clock);
  void batcher.publishMessage(message('a'));
  await turn();
  assert.equal(calls[0]!.timeoutMs, 5000);
  const stale = batcher.publishMessage(message('stale'));
  clock += 3000;
  const fresh = batcher.publishMessage(message('fresh'));
  clock += 2500; // 'stale' is 5.5 s old, 'fresh' 2.5 s
  calls[0]!.confirm();
  await assert.rejects(stale, PublishExpiredError);
  assert.deepEqual(texts(calls[1]!.messages), ['fresh']);
  assert.equal(calls[1]!.timeoutMs, 2500);
  calls[1]!.confirm();
  assert.match(await fresh, /^id-/);
});

test('flush sends everything waiting without waiting for a slot, and resolves once every request returned', async () => {
  const { rpc, calls } = manualRpc();
  const batcher = createAdaptiveBatcher(rpc, limits({ maxMessages: 2, maxConcurrentRpcs: 1 }));
  void batcher.publishMessage(message('a'));
  await turn();
  for (const text of ['b', 'c', 'd']) void batcher.publishMessage(message(text));
  void batcher.publishMessage(message('k1', 'key'));
  let flushed = false;
  const flush = batcher.flush().then(() => (flushed = true));
  assert.deepEqual(
    calls.map((call) => texts(call.messages)),
    [['a'], ['b', 'c'], ['d'], ['k1']],
  );
  for (const call of calls.slice(0, 3)) call.confirm();
  await turn();
  assert.equal(flushed, false, 'the keyed request is still under way');
  calls[3]!.confirm();
  await flush;
  assert.deepEqual(batcher.pending(), { queued: 0, rpcs: 0 });
  await batcher.flush();
});

test('an unkeyed request under way past releaseSlotAfterMs gives up its slot to what waits; a key keeps its order', async (t) => {
  t.after(() => mock.timers.reset());
  mock.timers.enable({ apis: ['setTimeout', 'setImmediate'] });
  const { rpc, calls } = manualRpc();
  const batcher = createAdaptiveBatcher(rpc, limits({ maxConcurrentRpcs: 1, releaseSlotAfterMs: 500 }));
  const stuck = batcher.publishMessage(message('stuck'));
  const keyed = batcher.publishMessage(message('k1', 'key'));
  mock.timers.tick(0);
  const behind = batcher.publishMessage(message('behind'));
  const keyedBehind = batcher.publishMessage(message('k2', 'key'));
  mock.timers.tick(499);
  assert.deepEqual(
    calls.map((call) => texts(call.messages)),
    [['stuck'], ['k1']],
  );
  mock.timers.tick(1);
  assert.deepEqual(
    calls.map((call) => texts(call.messages)),
    [['stuck'], ['k1'], ['behind']],
    'k2 still waits for k1',
  );
  calls[2]!.confirm();
  assert.match(await behind, /^id-/);
  calls[1]!.confirm();
  await keyed;
  mock.timers.tick(0);
  assert.deepEqual(texts(calls[3]!.messages), ['k2']);
  calls[3]!.confirm();
  calls[0]!.confirm();
  await Promise.all([stuck, keyedBehind]);
  assert.deepEqual(batcher.pending(), { queued: 0, rpcs: 0 });
});
