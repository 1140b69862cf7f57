// The log lines the pipeline's metrics are counted from. Cloud Logging parses each JSON line the services write to
// stdout into a LogEntry whose jsonPayload holds these fields, and the log-based metrics in infra/monitoring.tf
// filter on `event` and take their labels from `source`, `outcome` and `code` (and their latency distribution from
// `latencyMs`). One schema per line, here, so the services that write them and the metrics that read them cannot
// drift: infra/monitoring.test.ts checks every field a metric reads against these schemas.
//
// Accepted webhooks are the exception: they are counted from Cloud Run's request log (hookpipe/webhooks_accepted,
// https://cloud.google.com/run/docs/logging), not from a line, because writing one line per accepted webhook cost the
// ingress 10 to 20% more CPU per request. The ingress writes its `accepted` line only at LOG_LEVEL=debug, and
// hookpipe/webhooks leaves `outcome: 'accepted'` out, so nothing is counted twice.
//
// Labels stay bounded whatever a stranger sends: `source` is written only for a configured source (an unknown name
// is refused without one), `code` is one of ERROR_STATUS's codes, and `outcome` is one of the lists below.
import { z } from 'zod';
import { ERROR_STATUS, type ErrorCode } from './errors.ts';

const ERROR_CODES = Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]];

/** What the ingress did with one request to /webhooks/<source>. */
export const WEBHOOK_OUTCOMES = [
  /**
   * Published, and Pub/Sub confirmed it (202, or the provider's own answer). Written at debug only, and counted from
   * Cloud Run's request log instead (infra/monitoring.tf, hookpipe/webhooks_accepted).
   */
  'accepted',
  /** A 4xx: bad signature, stale timestamp, too large, unknown source, wrong method. Nothing was published. */
  'refused',
  /** A 503 the provider retries by design: shutting down, or at capacity. */
  'deferred',
  /** A 5xx that is not by design: the publish failed. */
  'failed',
  /** A provider's handshake (Slack's url_verification, Meta's GET, X's CRC, ...), answered and never published. */
  'handshake',
] as const;
export type WebhookOutcome = (typeof WEBHOOK_OUTCOMES)[number];

/** The ingress's line for each request to /webhooks/<source>: at info or above, except `accepted` (debug). */
export const WebhookLine = z.object({
  event: z.literal('webhook'),
  outcome: z.enum(WEBHOOK_OUTCOMES),
  /** Present only for a configured source. */
  source: z.string().optional(),
  /** The error code of a refusal or failure. */
  code: z.enum(ERROR_CODES).optional(),
  deliveryId: z.string().optional(),
  messageId: z.string().optional(),
});
export type WebhookLine = z.infer<typeof WebhookLine>;

/** What the processor did with one push: the same list as processor/src/deliver.ts's Outcome. */
export const DELIVERY_OUTCOMES = ['processed', 'duplicate', 'ignored', 'retry', 'dead-lettered'] as const;
export type DeliveryOutcome = (typeof DELIVERY_OUTCOMES)[number];

/** The processor's line for each push delivery. */
export const DeliveryLine = z.object({
  event: z.literal('delivery'),
  outcome: z.enum(DELIVERY_OUTCOMES),
  /** Absent only for a message without the ingress's attributes (dead-lettered as invalid). */
  source: z.string().optional(),
  deliveryId: z.string().optional(),
  messageId: z.string(),
  /** Milliseconds from the ingress's receipt (the receivedAt attribute) to this outcome. */
  latencyMs: z.number().nonnegative().optional(),
});
export type DeliveryLine = z.infer<typeof DeliveryLine>;
