// The wire contract between the ingress, the processor and the operations: what a Pub/Sub message carries besides
// its raw body, and the envelope a push subscription wraps it in. Three sets of attributes, each a zod schema (the
// types are inferred from it) with a build (to the strings Pub/Sub takes) and a parse (from them):
//
// - message attributes, set by the ingress on every message;
// - redrive attributes, added when an operator sends a dead letter back to the events topic. Their keys say
//   "replay" (`replayCount`, `replayedAt`): messages and ledgers in the field carry them, so the names stay;
// - dead-letter attributes: the processor's own, when it dead-letters a message itself (why, from which handler,
//   on which attempt, when), or Pub/Sub's CloudPubSubDeadLetter* ones, when Pub/Sub gave up delivering it
//   (https://cloud.google.com/pubsub/docs/dead-letter-topics). A redrive strips both.
//
// Attributes are read through these schemas, never by spelling a key elsewhere.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { formatTraceparent, parseTraceparent, type TraceContext } from './trace-context.ts';

/** Pub/Sub's limit on an attribute value. */
export const MAX_ATTRIBUTE_BYTES = 1024;
/** Ids longer than this are replaced by their hash, so that a hostile header cannot exceed the attribute limit. */
const MAX_ID_LENGTH = 256;

/** A count in an attribute: the digits `String(n)` writes, read as a number. */
const count = z.string().regex(/^\d+$/, 'a whole number').transform(Number);
/** A time in an attribute, RFC 3339 as `toISOString()` writes it; kept as the string. */
const time = z.iso.datetime({ offset: true });

/** Cuts a free-text value (an event type from a header, an error message) to what an attribute may carry. */
export function clampAttribute(value: string): string {
  if (Buffer.byteLength(value) <= MAX_ATTRIBUTE_BYTES) return value;
  let out = value.slice(0, MAX_ATTRIBUTE_BYTES);
  while (Buffer.byteLength(out) > MAX_ATTRIBUTE_BYTES) out = out.slice(0, -1);
  return out;
}

/** A delivery id safe to use as an attribute and a document id: provider ids as they are, overlong ones hashed. */
export function normaliseId(id: string): string {
  if (id.length <= MAX_ID_LENGTH && !id.includes('/')) return id;
  return `sha256-${createHash('sha256').update(id).digest('hex')}`;
}

/** The attributes as Pub/Sub takes them: strings only (numbers written out), absent fields left out. */
export function toPubSubAttributes(fields: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined && value !== null) out[key] = String(value);
  }
  return out;
}

/**
 * The fields of `shape` that parse, each on its own; the others are left out. For what may break the contract: a
 * dead letter can be a message that was dead-lettered precisely because its attributes were wrong.
 */
function parseFields<S extends z.ZodRawShape>(shape: S, attributes: Record<string, string>): Partial<z.output<z.ZodObject<S>>> {
  const out: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(shape)) {
    const parsed = (schema as z.ZodType).safeParse(attributes[key]);
    if (parsed.success && parsed.data !== undefined) out[key] = parsed.data;
  }
  return out as Partial<z.output<z.ZodObject<S>>>;
}

// ---- Redrive: what an operator's redrive adds -----------------------------------------------------------------

export const RedriveAttributes = z.object({
  /** How many times an operator has sent this message back from the dead-letter topic. */
  replayCount: count.optional(),
  replayedAt: time.optional(),
});
export type RedriveAttributes = z.output<typeof RedriveAttributes>;

/** A message's redrive history; never failing: a count that does not parse is read as none. */
export function parseRedriveAttributes(attributes: Record<string, string>): { replayCount: number; replayedAt?: string | undefined } {
  const fields = parseFields(RedriveAttributes.shape, attributes);
  return { replayCount: fields.replayCount ?? 0, replayedAt: fields.replayedAt };
}

// ---- Message: what the ingress sets on every message ------------------------------------------------------------

/**
 * The attribute carrying the webhook's trace context, a W3C traceparent (shared/src/trace-context.ts). The name is the
 * one @google-cloud/pubsub's OpenTelemetry support injects on publish and extracts on receipt (`googclient_` and the
 * W3C propagator's `traceparent` key: its build/src/telemetry-tracing.js, `modernAttributeName`;
 * https://cloud.google.com/pubsub/docs/open-telemetry-tracing), so that a pull subscriber using that client with
 * tracing on continues the webhook's trace instead of starting one of its own. The ingress publishes through its own
 * batcher, not the client's publish, so the client never overwrites it; the processor's dead-letter publish goes
 * through the client, whose tracing is off (it would replace the attribute with its own publish span's context).
 */
export const TRACE_ATTRIBUTE = 'googclient_traceparent';

/** A traceparent that is not strictly valid reads as absent: a broken trace never costs an event its delivery. */
const traceparent = z
  .string()
  .refine((value) => parseTraceparent(value) !== undefined)
  .optional()
  .catch(undefined);

export const MessageAttributes = z
  .object({
    source: z.string().min(1),
    provider: z.string().min(1),
    deliveryId: z.string().min(1).max(MAX_ID_LENGTH),
    eventType: z.string().min(1).optional(),
    receivedAt: time,
    contentType: z.string().optional(),
    [TRACE_ATTRIBUTE]: traceparent,
    ...RedriveAttributes.shape,
  })
  // Pub/Sub adds its own (the dead-letter attributes) and a redrive adds its; they pass through untouched.
  .loose();
export type MessageAttributes = z.output<typeof MessageAttributes>;

export const buildMessageAttributes = (attributes: MessageAttributes): Record<string, string> => toPubSubAttributes(attributes);
export const parseMessageAttributes = (attributes: Record<string, string>) => MessageAttributes.safeParse(attributes);

/** The trace attribute of a context (the ingress adds it to every message it publishes). */
export const buildTraceAttribute = (trace: TraceContext): { [TRACE_ATTRIBUTE]: string } => ({
  [TRACE_ATTRIBUTE]: formatTraceparent(trace),
});

/** The trace a message carries, if its attribute is a valid traceparent; read on its own, whatever the others say. */
export const parseTraceAttribute = (attributes: Record<string, string>): TraceContext | undefined =>
  parseTraceparent(attributes[TRACE_ATTRIBUTE]);

/** When the ingress received the message (ms since the epoch), if its attribute parses. */
export function parseReceivedAt(attributes: Record<string, string>): number | undefined {
  const parsed = MessageAttributes.shape.receivedAt.safeParse(attributes.receivedAt);
  return parsed.success ? Date.parse(parsed.data) : undefined;
}

// ---- Dead letters: the processor's reasons, and Pub/Sub's own ---------------------------------------------------

export const DEAD_LETTER_REASONS = ['permanent', 'exhausted', 'unhandled', 'invalid-message'] as const;
export type DeadLetterReason = (typeof DEAD_LETTER_REASONS)[number];

/** What the processor adds to a message it dead-letters itself (deliver.ts). */
export const ProcessorDeadLetterAttributes = z.object({
  deadLetterReason: z.enum(DEAD_LETTER_REASONS),
  errorClass: z.string(),
  errorMessage: z.string(),
  errorHandler: z.string().min(1).optional(),
  errorAttempt: count,
  failedAt: time,
  originalMessageId: z.string().min(1),
  originalPublishTime: z.string().min(1),
});
export type ProcessorDeadLetterAttributes = z.output<typeof ProcessorDeadLetterAttributes>;

/** The free-text fields are cut to an attribute's limit. */
export function buildProcessorDeadLetterAttributes(fields: ProcessorDeadLetterAttributes): Record<string, string> {
  return toPubSubAttributes({
    ...fields,
    errorClass: clampAttribute(fields.errorClass),
    errorMessage: clampAttribute(fields.errorMessage),
    errorHandler: fields.errorHandler === undefined ? undefined : clampAttribute(fields.errorHandler),
  });
}

/** Every attribute Pub/Sub adds to what it dead-letters starts so; a redrive strips all of them, known or not. */
export const PUBSUB_DEAD_LETTER_PREFIX = 'CloudPubSubDeadLetter';

/**
 * What Pub/Sub adds when it forwards a message it could not deliver (https://cloud.google.com/pubsub/docs/
 * dead-letter-topics): the delivery attempts made, and where from. Only Pub/Sub writes them; the build is for tests
 * and tools that stand in for it.
 */
export const PubSubDeadLetterAttributes = z.object({
  CloudPubSubDeadLetterSourceDeliveryCount: count,
  CloudPubSubDeadLetterSourceSubscription: z.string().min(1).optional(),
  CloudPubSubDeadLetterSourceSubscriptionProject: z.string().min(1).optional(),
  CloudPubSubDeadLetterSourceTopicPublishTime: z.string().min(1).optional(),
});
export type PubSubDeadLetterAttributes = z.output<typeof PubSubDeadLetterAttributes>;

export const buildPubSubDeadLetterAttributes = (fields: PubSubDeadLetterAttributes): Record<string, string> => toPubSubAttributes(fields);

/** A dead letter's attributes, each set read field by field: whatever parses, since a dead letter may break the contract. */
export interface DeadLetterAttributes {
  message: Partial<MessageAttributes>;
  processor: Partial<ProcessorDeadLetterAttributes>;
  pubsub: Partial<PubSubDeadLetterAttributes>;
}

export function parseDeadLetterAttributes(attributes: Record<string, string>): DeadLetterAttributes {
  return {
    message: parseFields(MessageAttributes.shape, attributes),
    processor: parseFields(ProcessorDeadLetterAttributes.shape, attributes),
    pubsub: parseFields(PubSubDeadLetterAttributes.shape, attributes),
  };
}

const PROCESSOR_KEYS = new Set(Object.keys(ProcessorDeadLetterAttributes.shape));
const isDeadLetterKey = (key: string) => PROCESSOR_KEYS.has(key) || key.startsWith(PUBSUB_DEAD_LETTER_PREFIX);

/**
 * What a redriven dead letter goes back to the events topic with: its own attributes as the ingress set them, the
 * dead-letter ones (ours and Pub/Sub's) stripped, the redrive counted and dated.
 */
export function buildRedriveAttributes(deadLetter: Record<string, string>, now: Date): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(deadLetter)) if (!isDeadLetterKey(key)) out[key] = value;
  const redrive: RedriveAttributes = { replayCount: parseRedriveAttributes(deadLetter).replayCount + 1, replayedAt: now.toISOString() };
  return { ...out, ...toPubSubAttributes(redrive) };
}

// ---- The push envelope -------------------------------------------------------------------------------------------

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
