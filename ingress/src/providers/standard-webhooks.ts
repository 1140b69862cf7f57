// Standard Webhooks (Svix and others): `webhook-id`, `webhook-timestamp`, `webhook-signature` holding
// space-separated `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`, keys base64 behind `whsec_`. Svix's
// own `svix-*` header names are accepted as well. Asymmetric `v1a` signatures are not supported and ignored.
// https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md
//
// Senders that use the scheme as is (Clerk, Resend, ...) are presets: `standardWebhooksPreset` gives each its name,
// its samples and where its event type is, and the verifier below, so that each is one small module.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { toleranceSeconds } from '../../../shared/src/sources.ts';
import { anyKeyMatches, decodeSignature, hmac, parseUnixSeconds, withinTolerance } from './crypto.ts';
import { textAt } from './fields.ts';
import { jsonSample, randomToken } from './sample.ts';
import { defineProvider, fail, OK, type Provider, type Sample, type Verdict, type WebhookRequest } from './types.ts';

function header(request: WebhookRequest, name: 'id' | 'timestamp' | 'signature'): string | null {
  return request.headers.get(`webhook-${name}`) ?? request.headers.get(`svix-${name}`);
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * The key is the base64 after `whsec_`. Anything else gives an empty key, which the sources schema refuses: Node's
 * decoder skips characters that are not base64, so `whsec_` alone or `whsec_!!!` would otherwise be a key of zero
 * bytes, under which anyone can compute every signature.
 */
export function standardWebhooksKey(secret: string): Buffer {
  const encoded = secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret;
  return BASE64.test(encoded) ? Buffer.from(encoded, 'base64') : Buffer.alloc(0);
}

export const STANDARD_WEBHOOKS_KEY_FORMAT = 'a Standard Webhooks secret is "whsec_" followed by base64';

/** What is signed, for verify and sign alike. */
const signedContent = (id: string, timestamp: number, body: Buffer) => [`${id}.${timestamp}.`, body];

/** Checks the three headers against keys already derived by `standardWebhooksKey`. */
export function verifyStandardWebhooks(request: WebhookRequest, keys: readonly Buffer[], toleranceSeconds: number, now: number): Verdict {
  const id = header(request, 'id');
  const signatureHeader = header(request, 'signature');
  if (!id) return fail('missing webhook-id header');
  if (!signatureHeader) return fail('missing webhook-signature header');
  const timestamp = parseUnixSeconds(header(request, 'timestamp'));
  if (timestamp === undefined) return fail('missing or malformed webhook-timestamp header');
  if (!withinTolerance(timestamp, now, toleranceSeconds)) return fail('timestamp outside the tolerance');
  const signatures: Buffer[] = [];
  for (const item of signatureHeader.split(' ')) {
    const [version, value] = item.split(',', 2);
    if (version !== 'v1' || value === undefined) continue;
    const signature = decodeSignature(value, 'base64');
    if (signature) signatures.push(signature);
  }
  if (signatures.length === 0) return fail('webhook-signature has no v1 signature');
  const content = signedContent(id, timestamp, request.body);
  return anyKeyMatches(keys, signatures, (key) => hmac('sha256', key, ...content)) ? OK : fail('signature mismatch');
}

/** The three headers a Standard Webhooks sender sends for this body; `secret` as configured (`whsec_...`). */
export function signStandardWebhooks(body: Buffer, secret: string, id: string, now: number): Record<string, string> {
  const signature = hmac('sha256', standardWebhooksKey(secret), ...signedContent(id, now, body)).toString('base64');
  return { 'webhook-id': id, 'webhook-timestamp': String(now), 'webhook-signature': `v1,${signature}` };
}

/** The delivery id a Standard Webhooks sender keeps across retries: `webhook-id`. */
export const standardWebhooksId = (request: WebhookRequest): string | undefined => header(request, 'id') ?? undefined;

const options = () => z.object({ toleranceSeconds: toleranceSeconds.default(300) }).strict();
export type StandardWebhooksOptions = z.output<ReturnType<typeof options>>;

/** What a Standard Webhooks sender brings of its own. */
export interface StandardWebhooksPreset {
  /** The name sources give as `provider:`. */
  name: string;
  /** Where its event type is in a payload; `type` by default, which most senders use. */
  eventType?(payload: unknown): string | undefined;
  /** A realistic delivery for `hookpipe send`, with the event type it is (`jsonSample(value, eventType)`). */
  sample(now: number, eventType?: string): Sample;
}

const presets = new WeakSet<object>();

/** Whether a provider is a Standard Webhooks preset, so that one test can cover every preset in the registry. */
export const isStandardWebhooksPreset = (provider: object): boolean => presets.has(provider);

/** A Standard Webhooks sender: this module's verifier and signer, with the sender's name, samples and event type. */
export function standardWebhooksPreset(preset: StandardWebhooksPreset): Provider<StandardWebhooksOptions> {
  const eventType = preset.eventType ?? ((payload: unknown) => textAt(payload, 'type'));
  const provider = defineProvider({
    name: preset.name,
    options,
    json: true,
    key: standardWebhooksKey,
    keyFormat: STANDARD_WEBHOOKS_KEY_FORMAT,
    verify: (request, keys, o, now) => verifyStandardWebhooks(request, keys, o.toleranceSeconds, now),
    describe: (request, payload) => ({ deliveryId: standardWebhooksId(request), eventType: eventType(payload()) }),
    sign: ({ body, now, id }, secret) => signStandardWebhooks(body, secret, id, now),
    // Svix's message ids, `msg_` and a unique suffix: `hookpipe send` signs and sends the sample under it.
    sample: (now, type) => ({ id: `msg_${randomUUID().replaceAll('-', '')}`, ...preset.sample(now, type) }),
  });
  presets.add(provider);
  return provider;
}

/** Any Standard Webhooks sender without a preset of its own. */
export const standardWebhooks = standardWebhooksPreset({
  name: 'standard-webhooks',
  sample(now, eventType = 'invoice.paid') {
    const timestamp = new Date(now * 1000).toISOString();
    return jsonSample({ type: eventType, timestamp, data: { id: `inv_${randomToken()}`, amount: 4200 } }, eventType);
  },
});
