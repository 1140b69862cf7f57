// The source documents' scenario: a payment whose status changes (pending, then paid, expired or failed, and maybe
// refunded months later). Each event moves one document in Firestore; an event older than the state already
// stored is ignored, so retries and out-of-order deliveries cannot move a payment backwards.
import type { Firestore } from '@google-cloud/firestore';
import { z } from 'zod';
import { defineHandler } from '../handlers.ts';

export type PaymentStatus = 'pending' | 'paid' | 'failed' | 'expired' | 'refunded';

const STATUS_BY_EVENT: Record<string, PaymentStatus> = {
  'payment_intent.created': 'pending',
  'payment_intent.processing': 'pending',
  'payment_intent.requires_action': 'pending',
  'payment_intent.succeeded': 'paid',
  'payment_intent.payment_failed': 'failed',
  'payment_intent.canceled': 'expired',
  'charge.refunded': 'refunded',
};

/** Breaks ties between events of the same second: a later stage wins. */
const STAGE: Record<PaymentStatus, number> = { pending: 0, failed: 1, expired: 1, paid: 2, refunded: 3 };

export const StripePaymentEvent = z.looseObject({
  id: z.string().startsWith('evt_'),
  type: z.string(),
  created: z.number().int(),
  data: z.object({
    object: z.looseObject({
      id: z.string(),
      amount: z.number().int().optional(),
      currency: z.string().optional(),
      payment_intent: z.string().nullish(),
    }),
  }),
});
export type StripePaymentEvent = z.infer<typeof StripePaymentEvent>;

export interface PaymentRecord {
  status: PaymentStatus;
  amount?: number;
  currency?: string;
  lastEventId: string;
  lastEventType: string;
  lastEventCreated: number;
  updatedAt: Date;
}

export function paymentIdOf(event: StripePaymentEvent): string {
  // A refund arrives as a charge event; the payment is the charge's payment intent.
  return event.type.startsWith('charge.') ? (event.data.object.payment_intent ?? event.data.object.id) : event.data.object.id;
}

/** Whether `event` may replace what is stored: newer, or the same second and a later stage. */
export function supersedes(
  stored: Pick<PaymentRecord, 'status' | 'lastEventCreated' | 'lastEventId'> | undefined,
  event: StripePaymentEvent,
  status: PaymentStatus,
): boolean {
  if (!stored) return true;
  if (stored.lastEventId === event.id) return false;
  if (event.created !== stored.lastEventCreated) return event.created > stored.lastEventCreated;
  return STAGE[status] > STAGE[stored.status];
}

export function stripePayments(firestore: Firestore, collection = 'payments') {
  return defineHandler({
    name: 'stripe-payments',
    provider: 'stripe',
    eventTypes: Object.keys(STATUS_BY_EVENT),
    schema: StripePaymentEvent,
    resourceKey: paymentIdOf,
    async handle({ payload: event }, { logger }) {
      const status = STATUS_BY_EVENT[event.type]!;
      const ref = firestore.collection(collection).doc(paymentIdOf(event));
      const applied = await firestore.runTransaction(async (tx) => {
        const snapshot = await tx.get(ref);
        const stored = snapshot.exists ? (snapshot.data() as PaymentRecord) : undefined;
        if (!supersedes(stored, event, status)) return false;
        const object = event.data.object;
        tx.set(
          ref,
          {
            status,
            lastEventId: event.id,
            lastEventType: event.type,
            lastEventCreated: event.created,
            updatedAt: new Date(),
            ...(object.amount === undefined || event.type.startsWith('charge.') ? {} : { amount: object.amount }),
            ...(object.currency === undefined ? {} : { currency: object.currency }),
          },
          { merge: true },
        );
        return true;
      });
      logger.info({ payment: ref.id, status, applied }, applied ? 'payment updated' : 'payment event older than the stored state; ignored');
    },
  });
}
