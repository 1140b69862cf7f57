// How a dead-lettered message is shown and filtered, and what it carries when sent back: pure functions shared by
// the CLI and the admin API.
import { z } from 'zod';
import { DEAD_LETTER_ATTRIBUTE_PREFIX } from '../../../shared/src/contract.ts';
import { ERROR_ATTRIBUTES } from '../dead-letter.ts';
import { globMatches } from '../handlers.ts';

export interface DeadLetterView {
  messageId: string;
  deliveryId: string | undefined;
  source: string | undefined;
  provider: string | undefined;
  eventType: string | undefined;
  /** Why: our reason (permanent, exhausted, unhandled) or "delivery-attempts" when Pub/Sub dead-lettered it. */
  reason: string;
  errorClass: string | undefined;
  errorMessage: string | undefined;
  handler: string | undefined;
  attempts: number | undefined;
  deadLetteredAt: string;
  replayCount: number;
  size: number;
  attributes: Record<string, string>;
  body?: string | undefined;
}

/** A time as a Date (from the CLI) or an RFC 3339 string (from the admin API's query and body). */
export const DateLike = z.union([z.date(), z.iso.datetime({ offset: true }).transform((s) => new Date(s))]);

/** One filter for the CLI flags and the admin API's query string. */
export const DeadLetterFilter = z.object({
  source: z.string().min(1).optional(),
  eventType: z.string().min(1).optional(),
  errorClass: z.string().min(1).optional(),
  deliveryIds: z.array(z.string().min(1)).optional(),
  since: DateLike.optional(),
  until: DateLike.optional(),
});
export type DeadLetterFilter = z.infer<typeof DeadLetterFilter>;

export function viewOf(message: { messageId: string; attributes: Record<string, string>; data: Buffer; publishTime: Date }, showBody = false): DeadLetterView {
  const a = message.attributes;
  const pubsubCount = a[`${DEAD_LETTER_ATTRIBUTE_PREFIX}SourceDeliveryCount`];
  const attempts = a.errorAttempt ?? pubsubCount;
  return {
    messageId: message.messageId,
    deliveryId: a.deliveryId,
    source: a.source,
    provider: a.provider,
    eventType: a.eventType,
    reason: a.deadLetterReason ?? (pubsubCount ? 'delivery-attempts' : 'unknown'),
    errorClass: a.errorClass ?? (pubsubCount ? 'MaxDeliveryAttemptsExceeded' : undefined),
    errorMessage: a.errorMessage ?? (pubsubCount ? `Pub/Sub gave up after ${pubsubCount} delivery attempts without an ack` : undefined),
    handler: a.errorHandler,
    attempts: attempts === undefined ? undefined : Number(attempts),
    deadLetteredAt: a.failedAt ?? message.publishTime.toISOString(),
    replayCount: Number(a.replayCount ?? 0),
    size: message.data.length,
    attributes: a,
    ...(showBody ? { body: message.data.toString('utf8') } : {}),
  };
}

export function matches(view: DeadLetterView, filter: DeadLetterFilter): boolean {
  if (filter.source !== undefined && view.source !== filter.source) return false;
  if (filter.eventType !== undefined && (view.eventType === undefined || !globMatches(filter.eventType, view.eventType))) return false;
  if (filter.errorClass !== undefined && view.errorClass !== filter.errorClass) return false;
  if (filter.deliveryIds !== undefined && filter.deliveryIds.length > 0 && !filter.deliveryIds.includes(view.deliveryId ?? '')) return false;
  const at = Date.parse(view.deadLetteredAt);
  if (filter.since !== undefined && at < filter.since.getTime()) return false;
  if (filter.until !== undefined && at > filter.until.getTime()) return false;
  return true;
}

const STRIPPED = new Set<string>(ERROR_ATTRIBUTES);

/** The original attributes for the events topic: dead-letter attributes removed, the replay counted and dated. */
export function replayAttributes(attributes: Record<string, string>, now: Date): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(attributes)) {
    if (key.startsWith(DEAD_LETTER_ATTRIBUTE_PREFIX) || STRIPPED.has(key)) continue;
    out[key] = value;
  }
  out.replayCount = String(Number(attributes.replayCount ?? 0) + 1);
  out.replayedAt = now.toISOString();
  return out;
}

/** A word the shell takes as it is: quoted when it holds anything but plain characters. */
const shellWord = (word: string) => (/^[\w.:@/=+,-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`);

/** The `hookpipe dlq replay` command for a filter, for a replay too big to run anywhere but on an operator's machine. */
export function replayCommand(filter: DeadLetterFilter, options: { limit?: number | undefined; rate?: number | undefined } = {}): string {
  const args = ['npx', 'hookpipe', 'dlq', 'replay'];
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
