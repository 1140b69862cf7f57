import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { createLogger } from '../../../shared/src/logger.ts';
import { testFirestore, uniqueCollection } from '../../../test/support/firestore.ts';
import type { HandlerContext, WebhookEvent } from '../handlers.ts';
import { type PaymentRecord, paymentIdOf, StripePaymentEvent, stripePayments, supersedes } from './stripe-payments.ts';

const firestore = testFirestore();
after(() => firestore.terminate());

const context: HandlerContext = {
  logger: createLogger({ service: 't', level: 'silent' }),
  attempt: 1,
  deadline: new Date(Date.now() + 10_000),
  signal: new AbortController().signal,
};

function event(id: string, type: string, created: number, object: Record<string, unknown>) {
  const payload = StripePaymentEvent.parse({ id, type, created, data: { object } });
  return { payload, deliveryId: id } as WebhookEvent<StripePaymentEvent>;
}

test('a refund arrives as a charge event and is filed under its payment intent', () => {
  assert.equal(paymentIdOf(event('evt_1', 'charge.refunded', 1, { id: 'ch_1', payment_intent: 'pi_1' }).payload), 'pi_1');
  assert.equal(paymentIdOf(event('evt_2', 'payment_intent.succeeded', 1, { id: 'pi_1' }).payload), 'pi_1');
});

test('ordering: newer events win; in the same second the later stage wins; the same event never re-applies', () => {
  const stored = { status: 'paid' as const, lastEventCreated: 100, lastEventId: 'evt_b' };
  const e = (id: string, created: number) => event(id, 'x', created, { id: 'pi' }).payload;
  assert.equal(supersedes(stored, e('evt_c', 101), 'refunded'), true);
  assert.equal(supersedes(stored, e('evt_a', 99), 'pending'), false);
  assert.equal(supersedes(stored, e('evt_a', 100), 'pending'), false);
  assert.equal(supersedes(stored, e('evt_c', 100), 'refunded'), true);
  assert.equal(supersedes(stored, e('evt_b', 100), 'paid'), false);
  assert.equal(supersedes(undefined, e('evt_a', 1), 'pending'), true);
});

test('a payment goes pending, paid, then refunded months later; a late "pending" cannot move it back', async () => {
  const collection = uniqueCollection('payments');
  const handler = stripePayments(firestore, collection);
  const t0 = 1_760_000_000;
  const read = async () => (await firestore.collection(collection).doc('pi_9').get()).data() as PaymentRecord;

  await handler.handle(event('evt_1', 'payment_intent.processing', t0, { id: 'pi_9', amount: 2000, currency: 'eur' }), context);
  assert.equal((await read()).status, 'pending');
  await handler.handle(event('evt_2', 'payment_intent.succeeded', t0 + 5, { id: 'pi_9', amount: 2000, currency: 'eur' }), context);
  assert.equal((await read()).status, 'paid');
  // A retry of the first event arriving late, out of order.
  await handler.handle(event('evt_1', 'payment_intent.processing', t0, { id: 'pi_9', amount: 2000, currency: 'eur' }), context);
  assert.equal((await read()).status, 'paid');
  const months = 90 * 86_400;
  await handler.handle(event('evt_3', 'charge.refunded', t0 + months, { id: 'ch_1', payment_intent: 'pi_9', amount: 2000 }), context);
  const refunded = await read();
  assert.equal(refunded.status, 'refunded');
  assert.equal(refunded.amount, 2000);
  assert.equal(refunded.currency, 'eur');
  assert.equal(refunded.lastEventId, 'evt_3');
});
