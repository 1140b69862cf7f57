// A message as the ingress publishes it, for tests of what reads messages (delivery, the wire contract): a Stripe
// payment event's attributes, built through the contract.
import { buildMessageAttributes, type MessageAttributes } from '../../shared/src/contract.ts';

export const STRIPE_MESSAGE: Readonly<MessageAttributes> = Object.freeze({
  source: 'stripe',
  provider: 'stripe',
  deliveryId: 'evt_1',
  eventType: 'payment_intent.succeeded',
  receivedAt: '2026-11-24T10:00:00.000Z',
  contentType: 'application/json',
});

/** The attributes as Pub/Sub carries them, with `overrides` in place. */
export const stripeAttributes = (overrides: Partial<MessageAttributes> = {}): Record<string, string> =>
  buildMessageAttributes({ ...STRIPE_MESSAGE, ...overrides });
