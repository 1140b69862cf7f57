// The signed Stripe webhook the end-to-end and reliability tests send to an ingress: a Stripe event, signed by
// Stripe's own library (not by the code under test) with the secret of the sample sources file.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Stripe from 'stripe';
import { parse } from 'yaml';

/** The sources file every test ingress serves. */
export const LOCAL_SOURCES = 'config/sources.local.yaml';

/** Read from the sample sources file, so that the file stays the one place the local secret is written. */
export const STRIPE_SECRET: string = (() => {
  const file = parse(readFileSync(LOCAL_SOURCES, 'utf8')) as { sources?: Array<{ name?: string; secrets?: unknown[] }> };
  const secret = file.sources?.find((source) => source.name === 'stripe')?.secrets?.[0];
  if (typeof secret !== 'string') throw new Error(`${LOCAL_SOURCES} has no source "stripe" with an inline secret`);
  return secret;
})();

export const newEventId = (): string => `evt_${randomUUID().replaceAll('-', '')}`;

/** The `Stripe-Signature` header Stripe would send for this body, signed now. */
export const signStripe = (body: string, secret: string = STRIPE_SECRET): string =>
  Stripe.webhooks.generateTestHeaderString({ payload: body, secret });

export interface StripeEventOptions {
  id?: string;
  type?: string;
  /** `data.object`: a payment intent `pi_<id>` of 100 by default. */
  object?: Record<string, unknown>;
  contentType?: string;
}

export interface StripeWebhook {
  id: string;
  body: string;
  headers: Record<string, string>;
  /** Posts it to the ingress; the response as it came. */
  send(): Promise<Response>;
  /** Posts it and reads the whole answer: its status, or 0 when the connection failed (the ingress went away). */
  status(): Promise<number>;
}

export function stripeWebhook(ingressPort: number, options: StripeEventOptions = {}): StripeWebhook {
  const id = options.id ?? newEventId();
  const type = options.type ?? 'payment_intent.succeeded';
  const object = options.object ?? { id: `pi_${id}`, amount: 100 };
  const body = JSON.stringify({ id, object: 'event', type, created: Math.floor(Date.now() / 1000), data: { object } });
  const headers = { 'content-type': options.contentType ?? 'application/json', 'stripe-signature': signStripe(body) };
  const send = () => fetch(`http://127.0.0.1:${ingressPort}/webhooks/stripe`, { method: 'POST', headers, body });
  return {
    id,
    body,
    headers,
    send,
    status: () =>
      send().then(
        async (response) => {
          await response.arrayBuffer();
          return response.status;
        },
        () => 0,
      ),
  };
}
