// How a dead-lettered message is shown and filtered: pure functions shared by the CLI and the admin API. Its
// attributes are read through the wire contract (shared/src/contract.ts): the processor's reasons when it
// dead-lettered the message itself, else Pub/Sub's delivery count when Pub/Sub gave up on it.
import { z } from 'zod';
import { parseDeadLetterAttributes } from '../../shared/src/contract.ts';
import { DateLike } from '../../shared/src/date-like.ts';
import { globMatches } from '../../shared/src/glob.ts';

export interface DeadLetterView {
  messageId: string;
  deliveryId: string | undefined;
  source: string | undefined;
  provider: string | undefined;
  eventType: string | undefined;
  /** Why: the processor's reason (permanent, exhausted, unhandled, invalid-message); "delivery-attempts" when Pub/Sub gave up. */
  reason: string;
  errorClass: string | undefined;
  errorMessage: string | undefined;
  handler: string | undefined;
  attempts: number | undefined;
  deadLetteredAt: string;
  /** When it reached the dead-letter topic: the subscription keeps it from then for its retention. */
  publishedAt: string;
  /** When the dead-letter subscription drops it unless redriven (publishedAt plus the subscription's retention). */
  expiresAt?: string | undefined;
  replayCount: number;
  /** Kept by the dead letter and by its redrive, so events about one resource stay in order. */
  orderingKey: string | undefined;
  size: number;
  attributes: Record<string, string>;
  body?: string | undefined;
}

/** One filter for the CLI flags and the admin API's query string and body. */
export const DeadLetterFilter = z.object({
  source: z.string().min(1).optional(),
  eventType: z.string().min(1).optional(),
  errorClass: z.string().min(1).optional(),
  deliveryIds: z.array(z.string().min(1)).optional(),
  since: DateLike.optional(),
  until: DateLike.optional(),
});
export type DeadLetterFilter = z.infer<typeof DeadLetterFilter>;

export interface DeadLetterMessage {
  messageId: string;
  attributes: Record<string, string>;
  data: Buffer;
  publishTime: Date;
  orderingKey?: string | undefined;
}

export function viewOf(message: DeadLetterMessage, showBody = false): DeadLetterView {
  const { message: original, processor, pubsub } = parseDeadLetterAttributes(message.attributes);
  const pubsubCount = pubsub.CloudPubSubDeadLetterSourceDeliveryCount;
  const byPubSub = pubsubCount !== undefined && processor.deadLetterReason === undefined;
  return {
    messageId: message.messageId,
    deliveryId: original.deliveryId,
    source: original.source,
    provider: original.provider,
    eventType: original.eventType,
    reason: processor.deadLetterReason ?? (byPubSub ? 'delivery-attempts' : 'unknown'),
    errorClass: processor.errorClass ?? (byPubSub ? 'MaxDeliveryAttemptsExceeded' : undefined),
    errorMessage:
      processor.errorMessage ?? (byPubSub ? `Pub/Sub gave up after ${pubsubCount} delivery attempts without an ack` : undefined),
    handler: processor.errorHandler,
    attempts: processor.errorAttempt ?? pubsubCount,
    deadLetteredAt: processor.failedAt ?? message.publishTime.toISOString(),
    publishedAt: message.publishTime.toISOString(),
    replayCount: original.replayCount ?? 0,
    orderingKey: message.orderingKey || undefined,
    size: message.data.length,
    attributes: message.attributes,
    ...(showBody ? { body: message.data.toString('utf8') } : {}),
  };
}

/**
 * When a subscription with this retention drops a message published then: a subscription keeps an unacked message
 * for its messageRetentionDuration from its publication (https://cloud.google.com/pubsub/docs/subscription-properties,
 * "Message retention duration"); leasing and releasing it, as a listing does, does not extend that.
 */
export function expiryOf(publishedAt: string | Date, retentionSeconds: number): string {
  return new Date(new Date(publishedAt).getTime() + retentionSeconds * 1000).toISOString();
}

export function matches(view: DeadLetterView, filter: DeadLetterFilter): boolean {
  if (filter.source !== undefined && view.source !== filter.source) return false;
  if (filter.eventType !== undefined && (view.eventType === undefined || !globMatches(filter.eventType, view.eventType))) return false;
  if (filter.errorClass !== undefined && view.errorClass !== filter.errorClass) return false;
  if (filter.deliveryIds !== undefined && filter.deliveryIds.length > 0 && !filter.deliveryIds.includes(view.deliveryId ?? ''))
    return false;
  const at = Date.parse(view.deadLetteredAt);
  if (filter.since !== undefined && at < filter.since.getTime()) return false;
  if (filter.until !== undefined && at > filter.until.getTime()) return false;
  return true;
}

/** A word the shell takes as it is: quoted when it holds anything but plain characters. */
const shellWord = (word: string) => (/^[\w.:@/=+,-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`);

/** The `hookpipe dlq redrive` command for a filter, for a redrive too big to run anywhere but on an operator's machine. */
export function redriveCommand(filter: DeadLetterFilter, options: { limit?: number | undefined; rate?: number | undefined } = {}): string {
  const args = ['npx', 'hookpipe', 'dlq', 'redrive'];
  const flag = (name: string, value: string | number | Date | undefined) => {
    if (value !== undefined) args.push(`--${name}`, shellWord(value instanceof Date ? value.toISOString() : String(value)));
  };
  flag('source', filter.source);
  flag('event-type', filter.eventType);
  flag('error-class', filter.errorClass);
  for (const id of filter.deliveryIds ?? []) flag('delivery-id', id);
  flag('since', filter.since);
  flag('until', filter.until);
  flag('limit', options.limit);
  flag('rate', options.rate);
  return args.join(' ');
}
