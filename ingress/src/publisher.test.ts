import assert from 'node:assert/strict';
import { afterEach, mock, test } from 'node:test';
import { HttpError } from '../../shared/src/errors.ts';
import { createBoundedPublisher, type OutgoingMessage, type PublisherLimits, type TopicPort } from './publisher.ts';

const realImmediate = setImmediate;
/** Lets every promise chain settle (a real turn of the event loop, even while timers are mocked). */
const settle = () => new Promise((resolve) => realImmediate(resolve));

afterEach(() => mock.timers.reset());

/** A topic whose publishes settle only when the test says so. */
function manualTopic() {
  const pending: Array<{ message: OutgoingMessage; resolve: (id: string) => void; reject: (error: Error) => void }> = [];
  const resumed: string[] = [];
  let flushed = 0;
  const topic: TopicPort = {
    publishMessage: (message) => new Promise((resolve, reject) => pending.push({ message, resolve, reject })),
    resumePublishing: (key) => void resumed.push(key),
    flush: async () => {
      flushed += 1;
    },
  };
  return { topic, pending, resumed, flushed: () => flushed };
}

/**
 * A topic on mocked timers: it confirms each publish after `latency()` ms while healthy; while stalled it holds them
 * all (as a Pub/Sub that stopped answering), and `recover()` confirms those held and makes it healthy again.
 */
function timedTopic(latency: () => number) {
  let stalled = false;
  let held: Array<() => void> = [];
  let confirmed = 0;
  const topic: TopicPort = {
    publishMessage: () =>
      new Promise<string>((resolve) => {
        const confirm = () => {
          confirmed += 1;
          resolve(`m-${confirmed}`);
        };
        if (stalled) held.push(confirm);
        else setTimeout(confirm, latency());
      }),
    resumePublishing: () => {},
    flush: async () => {},
  };
  return {
    topic,
    stall: () => {
      stalled = true;
    },
    recover: () => {
      stalled = false;
      for (const confirm of held) confirm();
      held = [];
    },
  };
}

const limits = (overrides: Partial<PublisherLimits> = {}): PublisherLimits => ({
  timeoutMs: 5000,
  slowMs: 1000,
  maxLateBytes: 1024 * 1024,
  ...overrides,
});

const message = (size = 10, orderingKey?: string): OutgoingMessage => ({ data: Buffer.alloc(size), attributes: {}, orderingKey });

/**
 * Keeps `inFlight` webhooks under way on mocked time for `durationMs`, as a Cloud Run instance at that concurrency: each
 * answered one (202 or 503) is replaced by a new one `gapMs` later. Returns the refusals.
 */
async function steadyLoad(
  publisher: ReturnType<typeof createBoundedPublisher>,
  options: { inFlight: number; durationMs: number; gapMs: number; stepMs: number },
) {
  let answered = 0;
  const refusals: string[] = [];
  const launch = () =>
    publisher.publish(message()).then(
      () => {
        answered += 1;
      },
      (error: HttpError) => {
        answered += 1;
        refusals.push(error.message);
      },
    );
  for (let i = 0; i < options.inFlight; i += 1) launch();
  const end = Date.now() + options.durationMs;
  let due: number[] = [];
  while (Date.now() < end) {
    const answeredBefore = answered;
    mock.timers.tick(options.stepMs);
    await settle();
    for (let i = answeredBefore; i < answered; i += 1) due.push(Date.now() + options.gapMs);
    const now = Date.now();
    for (const _ of due.filter((at) => at <= now)) launch();
    due = due.filter((at) => at > now);
  }
  return { answered, refusals };
}

test('healthy Pub/Sub at 2,000 publishes in flight: nothing is refused', async () => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
  let turn = 0;
  // 5 to 204 ms, as a busy but healthy Pub/Sub
  const { topic } = timedTopic(() => {
    turn += 7;
    return 5 + (turn % 200);
  });
  const publisher = createBoundedPublisher(topic, limits());
  const { answered, refusals } = await steadyLoad(publisher, { inFlight: 2000, durationMs: 1000, gapMs: 1, stepMs: 10 });
  assert.ok(answered > 10_000, `${answered} answered`);
  assert.equal(refusals.length, 0, `refused: ${refusals[0]}`);
});

/** Webhooks arriving every `everyMs` whatever happens to earlier ones, as providers send them; when each was sent, by outcome. */
function openLoad(publisher: ReturnType<typeof createBoundedPublisher>, everyMs: number) {
  const refusedAt: number[] = [];
  const acceptedAt: number[] = [];
  return {
    refusedAt,
    acceptedAt,
    async until(endMs: number) {
      while (Date.now() < endMs) {
        const at = Date.now();
        publisher.publish(message()).then(
          () => acceptedAt.push(at),
          (error: HttpError) => {
            if (error.code === 'overloaded') refusedAt.push(at);
          },
        );
        mock.timers.tick(everyMs);
        await settle();
      }
    },
  };
}

test('a stalled Pub/Sub: refusals start within the threshold, and stop once it recovers', async () => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
  const pubsub = timedTopic(() => 20);
  const publisher = createBoundedPublisher(pubsub.topic, limits({ slowMs: 1000, timeoutMs: 5000 }));
  const load = openLoad(publisher, 10);

  await load.until(2000);
  assert.deepEqual(load.refusedAt, [], 'healthy');
  pubsub.stall(); // what was sent before still confirms, by 2020 ms at the latest
  await load.until(6000);
  assert.ok(load.refusedAt.length > 0, 'refused while stalled');
  const first = load.refusedAt[0]!;
  assert.ok(first > 2000 + 1000 - 10, `nothing refused before the threshold: the first refusal was at ${first} ms`);
  assert.ok(first <= 2020 + 1000 + 10, `the first refusal at ${first} ms, the last confirmation at 2020 ms`);
  assert.ok(load.refusedAt.length > (6000 - first) / 10 - 5, 'every webhook after it was refused');
  const refusal = await publisher.publish(message()).catch((error: HttpError) => error);
  assert.ok(refusal instanceof HttpError && refusal.status === 503 && refusal.retryAfterSeconds! > 0);

  const recovered = Date.now();
  pubsub.recover();
  await settle();
  const refusedBefore = load.refusedAt.length;
  await load.until(recovered + 2000);
  assert.equal(load.refusedAt.length, refusedBefore, 'nothing refused once Pub/Sub answers again');
  assert.ok(load.acceptedAt.filter((at) => at >= recovered).length >= 190);
});

/**
 * A topic for outages on mocked timers: healthy, it confirms in 20 ms. While down, a publish is held as the client's
 * retries hold it: confirmed when Pub/Sub is back (its next attempt lands), or failed at its deadline if still down
 * then; with `lost`, what was held is never confirmed and only fails at its deadline.
 */
function outageTopic(deadlineMs: number) {
  let down = false;
  let held: Array<() => void> = [];
  const topic: TopicPort = {
    publishMessage: () =>
      new Promise((resolve, reject) => {
        if (!down) return void setTimeout(() => resolve('m'), 20);
        let settled = false;
        held.push(() => {
          if (!settled) {
            settled = true;
            setTimeout(() => resolve('m'), 20);
          }
        });
        setTimeout(() => {
          if (!settled) {
            settled = true;
            reject(new Error('4 DEADLINE_EXCEEDED'));
          }
        }, deadlineMs);
      }),
    resumePublishing: () => {},
    flush: async () => {},
  };
  return {
    topic,
    fail: () => {
      down = true;
    },
    back: (options: { lost?: boolean } = {}) => {
      down = false;
      if (!options.lost) for (const land of held) land();
      held = [];
    },
  };
}

/** Load every 10 ms on mocked timers from 0, with Pub/Sub down from 2 s; it returns at 8 s, Pub/Sub still down. */
async function outageFrom2To8s() {
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
  const pubsub = outageTopic(5000);
  const publisher = createBoundedPublisher(pubsub.topic, limits({ slowMs: 1000, timeoutMs: 5000 }));
  const load = openLoad(publisher, 10);
  await load.until(2000);
  pubsub.fail();
  await load.until(8000);
  return { pubsub, load };
}

test('an outage: refusals while it lasts, and they stop as soon as Pub/Sub confirms again', async () => {
  const { pubsub, load } = await outageFrom2To8s();
  const refusedWhileDown = load.refusedAt.length;
  assert.ok(refusedWhileDown > 0.9 * ((8000 - 3000) / 10), `${refusedWhileDown} refused while down`);
  pubsub.back();
  await load.until(10_000);
  const last = load.refusedAt.at(-1)!;
  assert.ok(last <= 8000 + 20 + 10, `the last refusal at ${last} ms, Pub/Sub confirming again from 8000 ms`);
  assert.ok(load.acceptedAt.filter((at) => at > 8100).length > 180);
});

test('an outage whose stuck publishes are lost: refusals stop within the publish deadline of its end', async () => {
  const { pubsub, load } = await outageFrom2To8s();
  pubsub.back({ lost: true });
  await load.until(14_000);
  const last = load.refusedAt.at(-1)!;
  assert.ok(last <= 8000 + 5000 + 20 + 10, `the last refusal at ${last} ms, Pub/Sub answering again from 8000 ms`);
  assert.ok(load.acceptedAt.filter((at) => at > 13_100).length > 80);
});

test("a new instance's slow first publish (its connection being opened) is not trouble", async () => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
  // The connection is up at 3 s: everything sent before waits for it.
  const publisher = createBoundedPublisher(timedTopic(() => Math.max(0, 3000 - Date.now()) + 20).topic, limits({ slowMs: 1000 }));
  const load = openLoad(publisher, 10);
  await load.until(5000);
  assert.deepEqual(load.refusedAt, []);
  assert.ok(load.acceptedAt.length > 400);
});

test('a Pub/Sub that does not answer from the start is shed once the first publish fails at its deadline', async () => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
  // As the RPC does: DEADLINE_EXCEEDED at the publish's own deadline.
  const topic: TopicPort = {
    publishMessage: () => new Promise((_, reject) => setTimeout(() => reject(new Error('4 DEADLINE_EXCEEDED')), 5000)),
    resumePublishing: () => {},
    flush: async () => {},
  };
  const publisher = createBoundedPublisher(topic, limits({ slowMs: 1000, timeoutMs: 5000 }));
  const load = openLoad(publisher, 10);
  await load.until(7000);
  const first = load.refusedAt[0]!;
  assert.ok(first >= 5000 && first <= 5020, `the first refusal at ${first} ms`);
  assert.ok(load.refusedAt.length > 190);
});

test('a Pub/Sub that confirms, but slowly (3 s), is shed too, with probes let through', async () => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
  const publisher = createBoundedPublisher(timedTopic(() => 3000).topic, limits({ slowMs: 1000 }));
  const load = openLoad(publisher, 10);
  await load.until(18_000);
  // Nothing is judged before the first publish settles, at 3 s; from then on about slowMs / (3 s + slowMs) gets through.
  const judged = (18_000 - 3000) / 10;
  const refused = load.refusedAt.filter((at) => at >= 3000).length;
  assert.ok(refused > (2 * judged) / 3, `${refused} of ${judged} refused`);
  assert.ok(
    load.acceptedAt.some((at) => at > 9000),
    'some still get through, and will find out when it recovers',
  );
});

test('one stuck publish among fast ones is not trouble: the fast ones prove Pub/Sub healthy', async () => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
  let first = true;
  const latency = () => {
    if (first) {
      first = false;
      return 60_000;
    }
    return 10;
  };
  const publisher = createBoundedPublisher(timedTopic(latency).topic, limits({ slowMs: 1000, timeoutMs: 5000 }));
  const { answered, refusals } = await steadyLoad(publisher, { inFlight: 20, durationMs: 4000, gapMs: 5, stepMs: 5 });
  assert.ok(answered > 1000, `${answered} answered`);
  assert.equal(refusals.length, 0, `refused: ${refusals[0]}`);
  assert.equal(publisher.outstanding().messages >= 1, true, 'the stuck one is still outstanding');
});

test('publishes that outlive their request count as late bytes; past the bound, new ones are refused for memory', async () => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
  const { topic, pending } = manualTopic();
  // slowMs above the deadline, so that only the memory bound can refuse here.
  const publisher = createBoundedPublisher(topic, limits({ timeoutMs: 100, slowMs: 60_000, maxLateBytes: 1000 }));
  const big = publisher.publish(message(1500));
  const small = publisher.publish(message(10));
  mock.timers.tick(100);
  await assert.rejects(big, (error: HttpError) => error.code === 'unavailable' && /in time/.test(error.message));
  await assert.rejects(small, (error: HttpError) => error.code === 'unavailable');
  await assert.rejects(
    publisher.publish(message()),
    (error: HttpError) => error.code === 'overloaded' && /has not confirmed/.test(error.message),
  );
  assert.equal(pending.length, 2, 'the refused one never reached the topic');
  pending[0]!.resolve('late');
  await settle();
  const next = publisher.publish(message());
  pending[2]!.resolve('m-3');
  assert.equal(await next, 'm-3');
});

test('resolves with the message id once the topic confirms', async () => {
  const { topic, pending } = manualTopic();
  const publisher = createBoundedPublisher(topic, limits());
  const result = publisher.publish(message());
  assert.deepEqual(publisher.outstanding(), { messages: 1, bytes: 10 });
  pending[0]!.resolve('m-1');
  assert.equal(await result, 'm-1');
  assert.deepEqual(publisher.outstanding(), { messages: 0, bytes: 0 });
});

test('a refused publish becomes 503 unavailable with Retry-After, and resumes its ordering key', async () => {
  const { topic, pending, resumed } = manualTopic();
  const publisher = createBoundedPublisher(topic, limits());
  const result = publisher.publish(message(10, 'pi_1'));
  pending[0]!.reject(Object.assign(new Error('5 NOT_FOUND: Topic not found'), { code: 5 }));
  await assert.rejects(result, (error: HttpError) => error.code === 'unavailable' && error.status === 503 && error.retryAfterSeconds === 5);
  assert.deepEqual(resumed, ['pi_1']);
  assert.deepEqual(publisher.outstanding(), { messages: 0, bytes: 0 });
});

test('a publish past its deadline answers 503 but stays counted until the topic settles it', async () => {
  const { topic, pending } = manualTopic();
  const publisher = createBoundedPublisher(topic, limits({ timeoutMs: 20, slowMs: 10 }));
  await assert.rejects(publisher.publish(message(10)), (error: HttpError) => error.code === 'unavailable' && /in time/.test(error.message));
  assert.deepEqual(publisher.outstanding(), { messages: 1, bytes: 10 });
  pending[0]!.resolve('late');
  await settle();
  assert.deepEqual(publisher.outstanding(), { messages: 0, bytes: 0 });
});

test('drain waits for every outstanding publish, then flushes', async () => {
  const { topic, pending, flushed } = manualTopic();
  const publisher = createBoundedPublisher(topic, limits());
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
