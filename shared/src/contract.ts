// The message contract between the ingress and the processor: what a Pub/Sub message carries besides the raw
// body, and the envelope a push subscription wraps it in. Both services use these schemas and nothing else.
import { createHash } from 'node:crypto';
import { z } from 'zod';

/** Pub/Sub's limit on an attribute value. */
export const MAX_ATTRIBUTE_BYTES = 1024;
/** Ids longer than this are replaced by their hash, so that a hostile header cannot exceed the attribute limit. */
const MAX_ID_LENGTH = 256;

export const MessageAttributes = z
  .object({
    source: z.string().min(1),
    provider: z.string().min(1),
    deliveryId: z.string().min(1).max(MAX_ID_LENGTH),
    eventType: z.string().min(1).optional(),
    receivedAt: z.iso.datetime({ offset: true }),
    contentType: z.string().optional(),
    /** How many times an operator has sent this message back from the dead-letter topic. */
    replayCount: z.coerce.number().int().nonnegative().optional(),
    replayedAt: z.iso.datetime({ offset: true }).optional(),
  })
  // Pub/Sub adds its own (the dead-letter attributes) and replays add theirs; they pass through untouched.
  .loose();
export type MessageAttributes = z.infer<typeof MessageAttributes>;

/** The attributes Pub/Sub adds to a dead-lettered copy, stripped again before a replay. */
export const DEAD_LETTER_ATTRIBUTE_PREFIX = 'CloudPubSubDeadLetter';

/** The body of a push request (https://cloud.google.com/pubsub/docs/push#receive_push). */
export const PushEnvelope = z.object({
  message: z.object({
    data: z.base64().default(''),
    attributes: z.record(z.string(), z.string()).default({}),
    messageId: z.string().min(1),
    publishTime: z.string().min(1),
    orderingKey: z.string().optional(),
  }),
  subscription: z.string().min(1),
  /** Only sent when the subscription has a dead-letter policy, and never by the emulator. */
  deliveryAttempt: z.number().int().positive().optional(),
});
export type PushEnvelope = z.infer<typeof PushEnvelope>;

/** A delivery id safe to use as an attribute and a document id: provider ids as they are, overlong ones hashed. */
export function normaliseId(id: string): string {
  if (id.length <= MAX_ID_LENGTH && !id.includes('/')) return id;
  return `sha256-${createHash('sha256').update(id).digest('hex')}`;
}

/** Cuts a free-text value (an event type from a header) to what an attribute may carry, on a character boundary. */
export function clampAttribute(value: string): string {
  if (Buffer.byteLength(value) <= MAX_ATTRIBUTE_BYTES) return value;
  let out = value.slice(0, MAX_ATTRIBUTE_BYTES);
  while (Buffer.byteLength(out) > MAX_ATTRIBUTE_BYTES) out = out.slice(0, -1);
  return out;
}

/** The attributes as Pub/Sub takes them: strings only, absent fields left out. */
export function toPubSubAttributes(attributes: MessageAttributes): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(attributes)) {
    if (value !== undefined && value !== null) out[key] = String(value);
  }
  return out;
}
