import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { Firestore } from '@google-cloud/firestore';
import type { LedgerEntry } from '../../shared/src/ledger-entry.ts';
import { testFirestore, uniqueCollection } from '../../test/support/firestore.ts';
import { type ClaimDecision, type ClaimInput, decideClaim, decideIgnore, decideUnhandledDeadLetter, FirestoreLedger } from './ledger.ts';

const now = new Date('2026-11-24T10:00:00Z');
const input: ClaimInput = { source: 'stripe', deliveryId: 'evt_1', messageId: 'm1', replayCount: 0, now };
const entry = (fields: Partial<LedgerEntry>): LedgerEntry =>
  ({
    source: 'stripe',
    deliveryId: 'evt_1',
    messageId: 'm0',
    status: 'processed',
    attempts: 1,
    replayCount: 0,
    createdAt: now,
    updatedAt: now,
    expireAt: now,
    ...fields,
  }) as LedgerEntry;

test('the claim rule: new claims, processed is a duplicate, a live lease is busy, an expired one or a failure is claimed again', () => {
  assert.deepEqual(decideClaim(undefined, input), { kind: 'claimed', attempts: 1 });
  assert.deepEqual(decideClaim(entry({ status: 'processed' }), input), { kind: 'duplicate', status: 'processed' });
  const forceAt = new Date(now.getTime() + 5000);
  assert.deepEqual(decideClaim(entry({ status: 'processed', attempts: 2 }), { ...input, forceSettledBefore: forceAt }), {
    kind: 'claimed',
    attempts: 3,
  });
  assert.deepEqual(
    decideClaim(entry({ status: 'processed', updatedAt: new Date(forceAt.getTime() + 1) }), { ...input, forceSettledBefore: forceAt }),
    { kind: 'duplicate', status: 'processed' },
    'an event already run again after the force is not forced twice',
  );
  const until = new Date(now.getTime() + 1000);
  assert.deepEqual(decideClaim(entry({ status: 'processing', leaseExpiresAt: until }), input), { kind: 'busy', until });
  assert.deepEqual(decideClaim(entry({ status: 'processing', leaseExpiresAt: new Date(now.getTime() - 1) }), input), {
    kind: 'claimed',
    attempts: 2,
  });
  assert.deepEqual(decideClaim(entry({ status: 'failed', attempts: 4 }), input), { kind: 'claimed', attempts: 5 });
});

test('the claim rule: a failure that kept its lease (its handler may still run) is busy until the lease expires', () => {
  const until = new Date(now.getTime() + 1000);
  assert.deepEqual(decideClaim(entry({ status: 'failed', attempts: 1, leaseExpiresAt: until }), input), { kind: 'busy', until });
  assert.deepEqual(decideClaim(entry({ status: 'failed', attempts: 1, leaseExpiresAt: until }), { ...input, now: until }), {
    kind: 'claimed',
    attempts: 2,
  });
});

test('the claim rule: a dead-lettered event runs again only for a newer replay', () => {
  assert.deepEqual(decideClaim(entry({ status: 'dead-lettered' }), input), { kind: 'duplicate', status: 'dead-lettered' });
  assert.deepEqual(decideClaim(entry({ status: 'dead-lettered' }), { ...input, replayCount: 1 }), { kind: 'claimed', attempts: 2 });
  assert.deepEqual(decideClaim(entry({ status: 'dead-lettered', replayCount: 1 }), { ...input, replayCount: 1 }), {
    kind: 'duplicate',
    status: 'dead-lettered',
  });
  assert.deepEqual(
    decideClaim(entry({ status: 'processed' }), { ...input, replayCount: 1 }),
    { kind: 'duplicate', status: 'processed' },
    'replaying a processed event does not run it twice',
  );
});

test('the claim rule: an ignored event runs whenever a handler takes it now (a seek or a redrive after its deploy)', () => {
  assert.deepEqual(decideClaim(entry({ status: 'ignored', attempts: 0 }), input), { kind: 'claimed', attempts: 1 });
  assert.deepEqual(decideClaim(entry({ status: 'ignored', attempts: 0 }), { ...input, replayCount: 1 }), { kind: 'claimed', attempts: 1 });
});

test('the ignore rule: an ignored event stays so; what a claim would run is ignored; duplicates and leases as for a claim', () => {
  assert.deepEqual(decideIgnore(undefined, input), { kind: 'ignored' });
  assert.deepEqual(decideIgnore(entry({ status: 'ignored' }), input), { kind: 'duplicate', status: 'ignored' });
  assert.deepEqual(decideIgnore(entry({ status: 'processed' }), input), { kind: 'duplicate', status: 'processed' });
  assert.deepEqual(decideIgnore(entry({ status: 'ignored' }), { ...input, replayCount: 1 }), { kind: 'duplicate', status: 'ignored' });
  assert.deepEqual(decideIgnore(entry({ status: 'dead-lettered' }), { ...input, replayCount: 1 }), { kind: 'ignored' });
  const until = new Date(now.getTime() + 1000);
  assert.deepEqual(decideIgnore(entry({ status: 'processing', leaseExpiresAt: until }), input), { kind: 'busy', until });
  assert.deepEqual(decideIgnore(entry({ status: 'failed' }), input), { kind: 'ignored' }, 'a handler removed since its failure');
});

const firestore = testFirestore();
after(() => firestore.terminate());

test('Firestore ledger: claim, complete and duplicate, with the fields operators read and a TTL expiry', async () => {
  const collection = uniqueCollection('ledger');
  const ledger = new FirestoreLedger(firestore, { collection, leaseMs: 60_000, retentionDays: 30 });
  const claim = {
    ...input,
    eventType: 'payment_intent.succeeded',
    resourceKey: 'pi_1',
    handler: 'payments',
    receivedAt: new Date(now.getTime() - 50),
  };
  assert.deepEqual(await ledger.claim(claim), { kind: 'claimed', attempts: 1 });
  const processing = (await ledger.get('stripe', 'evt_1'))!;
  assert.equal(processing.status, 'processing');
  assert.equal(processing.leaseExpiresAt?.getTime(), now.getTime() + 60_000);
  assert.equal(processing.expireAt.getTime(), now.getTime() + 30 * 86_400_000);
  assert.equal(processing.resourceKey, 'pi_1');

  assert.deepEqual(await ledger.claim({ ...claim, now: new Date(now.getTime() + 1000) }), {
    kind: 'busy',
    until: processing.leaseExpiresAt,
  });
  await ledger.complete('stripe', 'evt_1', { handler: 'payments', now, receivedAt: claim.receivedAt });
  const processed = (await ledger.get('stripe', 'evt_1'))!;
  assert.equal(processed.status, 'processed');
  assert.equal(processed.leaseExpiresAt, undefined);
  assert.equal(processed.latencyMs, 50, 'processedAt less receivedAt, as a number Firestore can average');
  assert.deepEqual(await ledger.claim({ ...claim, messageId: 'm2' }), { kind: 'duplicate', status: 'processed' });
  const raw = (await firestore.collection(collection).doc('stripe:evt_1').get()).data()!;
  assert.deepEqual(Object.keys(raw).sort(), [
    'attempts',
    'createdAt',
    'deliveryId',
    'eventType',
    'expireAt',
    'handler',
    'latencyMs',
    'messageId',
    'processedAt',
    'receivedAt',
    'replayCount',
    'resourceKey',
    'source',
    'status',
    'updatedAt',
  ]);
});

test('Firestore ledger: of two concurrent claims exactly one wins', async () => {
  const ledger = new FirestoreLedger(firestore, { collection: uniqueCollection('ledger'), leaseMs: 60_000, retentionDays: 30 });
  const results = await Promise.all(Array.from({ length: 5 }, (_, i) => ledger.claim({ ...input, messageId: `m${i}` })));
  assert.equal(results.filter((r) => r.kind === 'claimed').length, 1);
  assert.equal(results.filter((r) => r.kind === 'busy').length, 4);
});

test('Firestore ledger: a lease left by a dead instance expires; failures keep their error, and an abandoned run its lease', async () => {
  const ledger = new FirestoreLedger(firestore, { collection: uniqueCollection('ledger'), leaseMs: 1000, retentionDays: 30 });
  await ledger.claim(input);
  assert.equal((await ledger.claim({ ...input, now: new Date(now.getTime() + 500) })).kind, 'busy');
  assert.deepEqual(await ledger.claim({ ...input, now: new Date(now.getTime() + 1500) }), { kind: 'claimed', attempts: 2 });
  await ledger.fail('stripe', 'evt_1', { class: 'Error', message: 'db down' }, now);
  const failed = (await ledger.get('stripe', 'evt_1'))!;
  assert.equal(failed.status, 'failed');
  assert.deepEqual(failed.lastError, { class: 'Error', message: 'db down' });
  await ledger.claim({ ...input, now: new Date(now.getTime() + 2000) });
  const timeout = { class: 'HandlerTimeoutError', message: 'late' };
  await ledger.fail('stripe', 'evt_1', timeout, new Date(now.getTime() + 2500), { keepLease: true });
  const abandoned = (await ledger.get('stripe', 'evt_1'))!;
  assert.equal(abandoned.status, 'failed');
  assert.equal(abandoned.leaseExpiresAt?.getTime(), now.getTime() + 3000, 'a failure that keeps its lease leaves it as it was');
  assert.equal((await ledger.claim({ ...input, now: new Date(now.getTime() + 2900) })).kind, 'busy');
  await ledger.claim({ ...input, now: new Date(now.getTime() + 3000) });
  await ledger.deadLettered('stripe', 'evt_1', { class: 'PermanentError', message: 'gone' }, now);
  assert.equal((await ledger.get('stripe', 'evt_1'))!.status, 'dead-lettered');
  assert.equal((await ledger.get('stripe', 'evt_1'))!.attempts, 4);
});

/** Counts the Firestore calls a ledger makes: transactions, and BulkWriters (each sends one BatchWrite per 20 writes). */
function counted(): { firestore: Firestore; transactions: () => number; writers: () => number } {
  const instance = testFirestore();
  let transactions = 0;
  let writers = 0;
  const runTransaction = instance.runTransaction.bind(instance);
  const bulkWriter = instance.bulkWriter.bind(instance);
  instance.runTransaction = ((...args: Parameters<Firestore['runTransaction']>) => {
    transactions += 1;
    return runTransaction(...args);
  }) as Firestore['runTransaction'];
  instance.bulkWriter = (...args) => {
    writers += 1;
    return bulkWriter(...args);
  };
  return { firestore: instance, transactions: () => transactions, writers: () => writers };
}

test('Firestore ledger fast path: a first claim is one create, with no read and no transaction; the completion one update', async (t) => {
  const spy = counted();
  t.after(() => spy.firestore.terminate());
  const collection = uniqueCollection('ledger');
  const ledger = new FirestoreLedger(spy.firestore, { collection, leaseMs: 60_000, retentionDays: 30 });
  const claim = { ...input, handler: 'payments', receivedAt: new Date(now.getTime() - 50) };
  assert.deepEqual(await ledger.claim(claim), { kind: 'claimed', attempts: 1 });
  await ledger.complete('stripe', 'evt_1', { handler: 'payments', now });
  assert.equal(spy.transactions(), 0, 'no transaction for an event seen for the first time');
  assert.equal(spy.writers(), 2, 'one batched write for the claim, one for the completion');
  const stored = (await ledger.get('stripe', 'evt_1'))!;
  assert.equal(stored.status, 'processed');
  assert.equal(stored.attempts, 1);
  assert.equal(stored.createdAt.getTime(), now.getTime());
  assert.equal(stored.leaseExpiresAt, undefined);
});

test('Firestore ledger fast path: claims and completions arriving together share their RPCs', async (t) => {
  const spy = counted();
  t.after(() => spy.firestore.terminate());
  const ledger = new FirestoreLedger(spy.firestore, { collection: uniqueCollection('ledger'), leaseMs: 60_000, retentionDays: 30 });
  const ids = Array.from({ length: 15 }, (_, i) => `evt_batch_${i}`);
  const claims = await Promise.all(ids.map((deliveryId) => ledger.claim({ ...input, deliveryId })));
  assert.deepEqual(
    claims,
    ids.map(() => ({ kind: 'claimed', attempts: 1 })),
  );
  await Promise.all(ids.map((deliveryId) => ledger.complete('stripe', deliveryId, { handler: 'h', now })));
  assert.equal(spy.writers(), 2, 'fifteen claims in one BatchWrite, fifteen completions in another');
  for (const deliveryId of ids) assert.equal((await ledger.get('stripe', deliveryId))?.status, 'processed');
});

test('Firestore ledger conflict path: an existing document is read; a transaction runs only for a claim that writes', async (t) => {
  const spy = counted();
  t.after(() => spy.firestore.terminate());
  const ledger = new FirestoreLedger(spy.firestore, { collection: uniqueCollection('ledger'), leaseMs: 1000, retentionDays: 30 });
  const at = (ms: number) => new Date(now.getTime() + ms);
  /** Claims with these fields, and checks the decision and whether it ran a transaction. */
  const expectClaim = async (fields: Partial<ClaimInput>, decision: ClaimDecision, transaction: boolean, message?: string) => {
    const before = spy.transactions();
    assert.deepEqual(await ledger.claim({ ...input, ...fields }), decision, message);
    assert.equal(spy.transactions() > before, transaction, `${message ?? JSON.stringify(decision)}: transaction`);
  };
  await expectClaim({ replayCount: 1 }, { kind: 'claimed', attempts: 1 }, false);
  await expectClaim({ now: at(500) }, { kind: 'busy', until: at(1000) }, false, 'a live lease is busy');
  await expectClaim({ now: at(1500) }, { kind: 'claimed', attempts: 2 }, true, 'an expired lease is claimed again');
  const reclaimed = (await ledger.get('stripe', 'evt_1'))!;
  assert.equal(reclaimed.leaseExpiresAt?.getTime(), now.getTime() + 2500);
  assert.equal(reclaimed.createdAt.getTime(), now.getTime(), 'a claim of an existing document keeps its creation time');
  assert.equal(reclaimed.replayCount, 1, 'an older replay count never lowers the stored one');
  await ledger.fail('stripe', 'evt_1', { class: 'Error', message: 'db down' }, at(1600));
  await expectClaim({ now: at(1700) }, { kind: 'claimed', attempts: 3 }, true, 'a failure released its lease');
  await ledger.deadLettered('stripe', 'evt_1', { class: 'PermanentError', message: 'gone' }, at(1800));
  await expectClaim({ replayCount: 1, now: at(1900) }, { kind: 'duplicate', status: 'dead-lettered' }, false);
  await expectClaim({ replayCount: 2, now: at(2000) }, { kind: 'claimed', attempts: 4 }, true, 'a newer replay runs it again');
  await ledger.complete('stripe', 'evt_1', { handler: 'h', now: at(2100) });
  await expectClaim({ now: at(2200) }, { kind: 'duplicate', status: 'processed' }, false);
  const forced = { now: at(2300), forceSettledBefore: at(2150) };
  await expectClaim(forced, { kind: 'claimed', attempts: 5 }, true, 'a force window covering the settlement runs it once more');
  assert.equal(spy.writers(), 10, 'every claim but the forced one tried its create first (one succeeded), and three updates');
});

test('Firestore ledger conflict path: of deliveries racing for an expired lease exactly one wins', async () => {
  const ledger = new FirestoreLedger(firestore, { collection: uniqueCollection('ledger'), leaseMs: 1000, retentionDays: 30 });
  await ledger.claim(input);
  const later = new Date(now.getTime() + 5000);
  const results = await Promise.all(Array.from({ length: 5 }, (_, i) => ledger.claim({ ...input, messageId: `m${i}`, now: later })));
  assert.equal(results.filter((r) => r.kind === 'claimed').length, 1);
  assert.deepEqual(
    results.find((r) => r.kind === 'claimed'),
    { kind: 'claimed', attempts: 2 },
  );
  assert.equal(results.filter((r) => r.kind === 'busy').length, 4);
});

test('Firestore ledger ignore: one create with no lease, no read and no transaction; a redelivery is a duplicate', async (t) => {
  const spy = counted();
  t.after(() => spy.firestore.terminate());
  const collection = uniqueCollection('ledger');
  const ledger = new FirestoreLedger(spy.firestore, { collection, leaseMs: 60_000, retentionDays: 30 });
  const ignored = { ...input, eventType: 'charge.refunded', receivedAt: new Date(now.getTime() - 50) };
  let reads = 0;
  const get = spy.firestore.getAll.bind(spy.firestore);
  spy.firestore.getAll = ((...args: Parameters<Firestore['getAll']>) => {
    reads += 1;
    return get(...args);
  }) as Firestore['getAll'];
  assert.deepEqual(await ledger.ignore(ignored), { kind: 'ignored' });
  assert.deepEqual({ writers: spy.writers(), transactions: spy.transactions(), reads }, { writers: 1, transactions: 0, reads: 0 });
  const raw = (await spy.firestore.collection(collection).doc('stripe:evt_1').get()).data()!;
  assert.deepEqual(Object.keys(raw).sort(), [
    'attempts',
    'createdAt',
    'deliveryId',
    'eventType',
    'expireAt',
    'messageId',
    'receivedAt',
    'replayCount',
    'source',
    'status',
    'updatedAt',
  ]);
  assert.equal(raw.status, 'ignored');
  assert.equal(raw.attempts, 0);
  assert.deepEqual(await ledger.ignore({ ...ignored, messageId: 'm2' }), { kind: 'duplicate', status: 'ignored' });
  assert.equal(spy.transactions(), 0, 'a duplicate is decided by a read, without a transaction');
});

test('Firestore ledger ignore: an expired claim or a redrive of a dead letter is ignored this time, and the document says so', async () => {
  const ledger = new FirestoreLedger(firestore, { collection: uniqueCollection('ledger'), leaseMs: 1000, retentionDays: 30 });
  await ledger.claim(input);
  assert.equal((await ledger.ignore({ ...input, now: new Date(now.getTime() + 500) })).kind, 'busy', 'a live lease: retried');
  assert.deepEqual(await ledger.ignore({ ...input, now: new Date(now.getTime() + 1500) }), { kind: 'ignored' });
  const stored = (await ledger.get('stripe', 'evt_1'))!;
  assert.deepEqual(
    { status: stored.status, attempts: stored.attempts, lease: stored.leaseExpiresAt, createdAt: stored.createdAt.getTime() },
    { status: 'ignored', attempts: 1, lease: undefined, createdAt: now.getTime() },
  );
  assert.deepEqual(await ledger.ignore({ ...input, replayCount: 1, now: new Date(now.getTime() + 2000) }), {
    kind: 'duplicate',
    status: 'ignored',
  });
  assert.equal((await ledger.get('stripe', 'evt_1'))!.updatedAt.getTime(), now.getTime() + 1500, 'an ignored event is not rewritten');
  assert.deepEqual(await ledger.claim({ ...input, now: new Date(now.getTime() + 2500) }), { kind: 'claimed', attempts: 2 });
});

test('the unhandled dead-letter rule: recorded over anything but a processed event or a live lease', () => {
  const later = new Date(now.getTime() + 1000);
  assert.equal(decideUnhandledDeadLetter(undefined, now), true);
  assert.equal(decideUnhandledDeadLetter(entry({ status: 'processed' }), now), false, 'it ran: its outcome stands');
  assert.equal(decideUnhandledDeadLetter(entry({ status: 'processing', leaseExpiresAt: later }), now), false, 'running elsewhere');
  assert.equal(decideUnhandledDeadLetter(entry({ status: 'failed', leaseExpiresAt: later }), now), false, 'abandoned, maybe running');
  assert.equal(decideUnhandledDeadLetter(entry({ status: 'processing', leaseExpiresAt: now }), later), true, 'an expired claim');
  for (const status of ['failed', 'ignored', 'dead-lettered'] as const)
    assert.equal(decideUnhandledDeadLetter(entry({ status }), now), true);
});

test('Firestore ledger unhandled dead letter: one create, no lease, no transaction; a document that exists, by the rule', async (t) => {
  const spy = counted();
  t.after(() => spy.firestore.terminate());
  const collection = uniqueCollection('ledger');
  const ledger = new FirestoreLedger(spy.firestore, { collection, leaseMs: 1000, retentionDays: 30 });
  const noHandler = { class: 'NoHandler', message: 'no handler takes stripe/charge.refunded' };
  const event = { ...input, eventType: 'charge.refunded', receivedAt: new Date(now.getTime() - 50) };
  await ledger.deadLetteredUnhandled(event, noHandler);
  assert.deepEqual({ writers: spy.writers(), transactions: spy.transactions() }, { writers: 1, transactions: 0 });
  const stored = (await ledger.get('stripe', 'evt_1'))!;
  assert.deepEqual(
    { status: stored.status, attempts: stored.attempts, lease: stored.leaseExpiresAt, error: stored.lastError, at: stored.createdAt },
    { status: 'dead-lettered', attempts: 0, lease: undefined, error: noHandler, at: now },
  );
  // A redrive to a revision with the handler runs it; a later dead letter for want of one leaves it processed.
  const redrive = { ...event, replayCount: 1, now: new Date(now.getTime() + 100) };
  assert.deepEqual(await ledger.claim(redrive), { kind: 'claimed', attempts: 1 });
  await ledger.deadLetteredUnhandled({ ...redrive, now: new Date(now.getTime() + 200) }, noHandler);
  assert.equal((await ledger.get('stripe', 'evt_1'))!.status, 'processing', 'a live claim: its delivery records its outcome');
  await ledger.complete('stripe', 'evt_1', { handler: 'refunds', now: new Date(now.getTime() + 300) });
  await ledger.deadLetteredUnhandled({ ...redrive, now: new Date(now.getTime() + 400) }, noHandler);
  assert.equal((await ledger.get('stripe', 'evt_1'))!.status, 'processed');

  // An ignored event (the setting changed) is dead-lettered now, and keeps when it first came.
  const other = { ...event, deliveryId: 'evt_2' };
  await ledger.ignore(other);
  await ledger.deadLetteredUnhandled({ ...other, now: new Date(now.getTime() + 500) }, noHandler);
  const switched = (await ledger.get('stripe', 'evt_2'))!;
  assert.deepEqual(
    { status: switched.status, createdAt: switched.createdAt, updatedAt: switched.updatedAt },
    { status: 'dead-lettered', createdAt: now, updatedAt: new Date(now.getTime() + 500) },
  );
});
