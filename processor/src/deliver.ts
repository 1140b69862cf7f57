// One push delivery, start to end: find the handler, parse the payload with its schema, claim the ledger, run the
// handler within its deadline, and decide the outcome. I/O (ledger, dead-letter topic) comes in as ports, so the
// rules are tested without emulators. Every path ends in exactly one of: processed, duplicate, ignored,
// dead-lettered (acked only once the dead-letter publish is confirmed, and then recorded in the ledger, for want of
// a handler too), or retry (not acked). A handler abandoned while it may still be running (past its deadline, or cut
// short by a shutdown) keeps its ledger lease until the lease expires, so that a redelivery cannot run it a second
// time beside the first.
import { type DeadLetterReason, type PushEnvelope, parseMessageAttributes } from '../../shared/src/contract.ts';
import { describeError, PermanentError } from '../../shared/src/errors.ts';
import { describeIssues } from '../../shared/src/issues.ts';
import type { LedgerError } from '../../shared/src/ledger-entry.ts';
import type { Logger } from '../../shared/src/logger.ts';
import { type DeadLetterPort, publishDeadLetter } from './dead-lettering.ts';
import { findHandler, type Handler } from './handlers.ts';
import { type ClaimDecision, type ClaimInput, type IgnoreDecision, type Ledger, measuredFrom } from './ledger.ts';

export type Outcome = 'processed' | 'duplicate' | 'retry' | 'dead-lettered' | 'ignored';

/** 204 acks; anything else is a nack, retried by Pub/Sub with the subscription's backoff. */
export const OUTCOME_STATUS = {
  processed: 204,
  duplicate: 204,
  ignored: 204,
  'dead-lettered': 204,
  retry: 503,
} as const satisfies Record<Outcome, number>;

export interface DeliveryResult {
  outcome: Outcome;
  messageId: string;
  deliveryId?: string | undefined;
  source?: string | undefined;
  eventType?: string | undefined;
  handler?: string | undefined;
  attempt?: number | undefined;
  error?: LedgerError | undefined;
  /** Why a delivery was dead-lettered or retried without running (busy, ledger unavailable). */
  reason?: string | undefined;
}

export interface DeliveryDeps {
  handlers: readonly Handler[];
  ledger: Ledger;
  deadLetter: DeadLetterPort;
  logger: Logger;
  /** Kept below the push request's life (the ack deadline): see config.ts. */
  handlerTimeoutMs: number;
  /** The subscription's maxDeliveryAttempts: the last attempt dead-letters itself, with the error attached. */
  maxDeliveryAttempts: number;
  /** Events no handler takes: acked as ignored, or dead-lettered. */
  unhandled: 'ignore' | 'dead-letter';
  clock?: () => Date;
  /**
   * Asked for a duplicate only: when operators asked to run settled events again (seek replay with --force) and this
   * message of this subscription falls in that window, the time of the request (ops/src/force-windows.ts).
   */
  forceReplay?: (publishTime: Date, subscription: string) => Promise<Date | undefined>;
  /**
   * Aborted when the instance stops and the work under way has had its time (main.ts): handlers still running are
   * abandoned and answered retry, never processed, and deliveries not yet started claim nothing.
   */
  stopping?: AbortSignal | undefined;
}

export class HandlerTimeoutError extends Error {
  constructor(ms: number) {
    super(`the handler did not finish within ${ms} ms`);
    this.name = 'HandlerTimeoutError';
  }
}

export class ShutdownError extends Error {
  constructor() {
    super('the instance stopped before the handler finished');
    this.name = 'ShutdownError';
  }
}

export class SchemaError extends PermanentError {
  constructor(message: string) {
    super(message);
    this.name = 'SchemaError';
  }
}

/** The payload as its content type says: JSON, a form as an object of fields, else the text. */
export function decodePayload(raw: Buffer, contentType: string | undefined): unknown {
  const type = (contentType ?? '').toLowerCase();
  if (type.startsWith('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(raw.toString('utf8')));
  const text = raw.toString('utf8');
  if (type.includes('json') || type === '') {
    try {
      return JSON.parse(text);
    } catch {
      if (type.includes('json')) throw new SchemaError('the body is not valid JSON');
    }
  }
  return text;
}

type Parsed = { ok: true; payload: unknown } | { ok: false; error: SchemaError };

function parsePayload(handler: Handler, raw: Buffer, contentType: string | undefined): Parsed {
  let decoded: unknown;
  try {
    decoded = decodePayload(raw, contentType);
  } catch (error) {
    return { ok: false, error: error as SchemaError };
  }
  const result = handler.schema.safeParse(decoded);
  if (result.success) return { ok: true, payload: result.data };
  const detail = describeIssues(result.error, '(payload)', 5).join('; ');
  return { ok: false, error: new SchemaError(`payload does not match ${handler.name}'s schema: ${detail}`) };
}

/** How a handler's run ended; `abandoned`: it was given up on (deadline, shutdown) and may still be running. */
type Run = { ok: true } | { ok: false; thrown: unknown; abandoned: boolean };

/**
 * Runs a handler until it returns, its deadline passes or the instance stops. A handler given up on is told so by
 * its signal, but nothing can stop one that ignores it: it may go on after this returns, and how it ends then is
 * passed to `lateEnd` (to be logged), not lost.
 */
async function runHandler(
  run: (signal: AbortSignal, deadline: Date) => Promise<void> | void,
  ms: number,
  now: Date,
  stopping: AbortSignal | undefined,
  lateEnd: (error: LedgerError | undefined) => void,
): Promise<Run> {
  if (stopping?.aborted) return { ok: false, thrown: new ShutdownError(), abandoned: false };
  const controller = new AbortController();
  const deadline = new Date(now.getTime() + ms);
  let timer: NodeJS.Timeout | undefined;
  let onStop: (() => void) | undefined;
  const givenUp = new Promise<never>((_, reject) => {
    const abandon = (error: Error) => {
      controller.abort(error);
      reject(error);
    };
    timer = setTimeout(() => abandon(new HandlerTimeoutError(ms)), ms);
    onStop = () => abandon(new ShutdownError());
    stopping?.addEventListener('abort', onStop, { once: true });
  });
  const running = Promise.resolve().then(() => run(controller.signal, deadline));
  try {
    await Promise.race([running, givenUp]);
    return { ok: true };
  } catch (thrown) {
    const abandoned = controller.signal.aborted;
    if (abandoned)
      running.then(
        () => lateEnd(undefined),
        (late: unknown) => lateEnd(describeError(late)),
      );
    return { ok: false, thrown, abandoned };
  } finally {
    clearTimeout(timer);
    if (onStop) stopping?.removeEventListener('abort', onStop);
  }
}

/**
 * An event no handler takes, recorded in the ledger as ignored (one write, no lease), so that what the ledger counts
 * adds up to what arrived. Recorded before, it is what the ledger says (a redelivery of an ignored event is a
 * duplicate); a live lease is another delivery at work, retried. A write that fails is a retry, never an ack that
 * would leave the event uncounted; the delivery's log line (app.ts) carries its ids and the error.
 */
async function ignore(input: ClaimInput, identity: DeliveryResult, ledger: Ledger): Promise<DeliveryResult> {
  let decision: IgnoreDecision;
  try {
    decision = await ledger.ignore(input);
  } catch (error) {
    return { ...identity, outcome: 'retry', reason: 'ledger unavailable', error: describeError(error) };
  }
  return decision.kind === 'ignored' ? { ...identity, outcome: 'ignored' } : notClaimed(decision, identity);
}

/** What the ledger already holds, as the delivery's answer: a settled event is a duplicate, a live lease a retry. */
function notClaimed(decision: Exclude<ClaimDecision, { kind: 'claimed' }>, identity: DeliveryResult): DeliveryResult {
  if (decision.kind === 'duplicate') return { ...identity, outcome: 'duplicate', reason: `already ${decision.status}` };
  return { ...identity, outcome: 'retry', reason: `in progress elsewhere until ${decision.until.toISOString()}` };
}

export async function deliver(envelope: PushEnvelope, deps: DeliveryDeps): Promise<DeliveryResult> {
  const clock = deps.clock ?? (() => new Date());
  const { message } = envelope;
  const raw = Buffer.from(message.data, 'base64');
  const base: DeliveryResult = { outcome: 'retry', messageId: message.messageId };

  /** Whether the message is safely in the dead-letter topic; if not, it is logged, and the delivery is retried. */
  const deadLetter = async (reason: DeadLetterReason, error: LedgerError, attempt: number, handler?: string): Promise<boolean> => {
    try {
      await publishDeadLetter(deps.deadLetter, message, raw, { reason, error, handler, attempt, failedAt: clock() });
      return true;
    } catch (publishError) {
      deps.logger.error(
        { messageId: message.messageId, deliveryId: message.attributes.deliveryId, error: describeError(publishError) },
        'dead-letter publish failed; the delivery will be retried',
      );
      return false;
    }
  };

  const parsedAttributes = parseMessageAttributes(message.attributes);
  if (!parsedAttributes.success) {
    const error = {
      class: 'InvalidAttributes',
      message: 'the message lacks the attributes the ingress sets (source, provider, deliveryId, receivedAt)',
    };
    const attempt = envelope.deliveryAttempt ?? 1;
    const sent = await deadLetter('invalid-message', error, attempt);
    return { ...base, outcome: sent ? 'dead-lettered' : 'retry', error, attempt };
  }
  const attributes = parsedAttributes.data;
  const identity = { ...base, deliveryId: attributes.deliveryId, source: attributes.source, eventType: attributes.eventType };

  const claimFields = {
    source: attributes.source,
    deliveryId: attributes.deliveryId,
    eventType: attributes.eventType,
    messageId: message.messageId,
    receivedAt: new Date(attributes.receivedAt),
    replayCount: attributes.replayCount ?? 0,
  };

  const handler = findHandler(deps.handlers, attributes);
  if (!handler) {
    if (deps.unhandled === 'ignore') return ignore({ ...claimFields, now: clock() }, identity, deps.ledger);
    const error = { class: 'NoHandler', message: `no handler takes ${attributes.source}/${attributes.eventType ?? '(no type)'}` };
    const sent = await deadLetter('unhandled', error, envelope.deliveryAttempt ?? 1);
    if (!sent) return { ...identity, outcome: 'retry', error };
    // Recorded only once the message is safely in the dead-letter topic, so that the ledger counts it; a failed write
    // loses nothing (the dead letter holds the event) and is logged with its ids.
    await deps.ledger.deadLetteredUnhandled({ ...claimFields, now: clock() }, error).catch((writeError: unknown) => {
      const fields = { deliveryId: attributes.deliveryId, messageId: message.messageId, error: describeError(writeError) };
      deps.logger.warn(fields, 'ledger not updated after dead-lettering an unhandled event');
    });
    return { ...identity, outcome: 'dead-lettered', error };
  }

  const ids = { deliveryId: attributes.deliveryId, messageId: message.messageId, handler: handler.name };
  /** For ledger writes whose failure changes no outcome: said in the log, with the ids to find the event by. */
  const logDropped = (what: string) => (error: unknown) => {
    deps.logger.warn({ ...ids, error: describeError(error) }, what);
  };

  const parsed = parsePayload(handler, raw, attributes.contentType);
  let resourceKey: string | undefined;
  if (parsed.ok && handler.resourceKey) {
    try {
      resourceKey = handler.resourceKey(parsed.payload) ?? undefined;
    } catch (error) {
      // The key only serves listings by resource: the event is handled without one, and the log says why.
      logDropped('resourceKey failed; the event is recorded without a resource key')(error);
    }
  }

  if (deps.stopping?.aborted) return { ...identity, handler: handler.name, outcome: 'retry', reason: 'shutting down' };

  const now = clock();
  const claimInput = {
    ...claimFields,
    resourceKey,
    handler: handler.name,
    now,
  };
  let claim: ClaimDecision;
  try {
    claim = await deps.ledger.claim(claimInput);
    // Only a settled event can be forced, so only a duplicate asks whether an operator forced a re-run (ops/src/seek.ts).
    if (claim.kind === 'duplicate' && deps.forceReplay) {
      const forceSettledBefore = await deps.forceReplay(new Date(message.publishTime), envelope.subscription);
      if (forceSettledBefore) claim = await deps.ledger.claim({ ...claimInput, forceSettledBefore });
    }
  } catch (error) {
    return { ...identity, handler: handler.name, outcome: 'retry', reason: 'ledger unavailable', error: describeError(error) };
  }
  if (claim.kind !== 'claimed') return notClaimed(claim, { ...identity, handler: handler.name });

  const attempt = envelope.deliveryAttempt ?? claim.attempts;
  const result = { ...identity, handler: handler.name, attempt };

  // The outcome is a retry either way; a failed write leaves the entry 'processing' until its lease expires.
  const recordFailure = (error: LedgerError, keepLease: boolean) =>
    deps.ledger
      .fail(attributes.source, attributes.deliveryId, error, clock(), { keepLease })
      .catch(logDropped('ledger not updated after a failed attempt; its lease holds until it expires'));

  const settleDeadLetter = async (reason: DeadLetterReason, error: LedgerError, keepLease = false): Promise<DeliveryResult> => {
    if (!(await deadLetter(reason, error, attempt, handler.name))) {
      await recordFailure(error, keepLease);
      return { ...result, outcome: 'retry', error, reason: 'dead-letter publish failed' };
    }
    // The message is safely in the dead-letter topic; a failed ledger write only leaves the status stale.
    await deps.ledger
      .deadLettered(attributes.source, attributes.deliveryId, error, clock())
      .catch(logDropped('ledger not updated after dead-lettering'));
    return { ...result, outcome: 'dead-lettered', reason, error };
  };

  if (!parsed.ok) return settleDeadLetter('permanent', describeError(parsed.error));

  const run = await runHandler(
    (signal, deadline) =>
      handler.handle(
        {
          payload: parsed.payload,
          raw,
          attributes,
          deliveryId: attributes.deliveryId,
          source: attributes.source,
          provider: attributes.provider,
          eventType: attributes.eventType,
          messageId: message.messageId,
          publishTime: message.publishTime,
          orderingKey: message.orderingKey || undefined,
        },
        { logger: deps.logger.child({ deliveryId: attributes.deliveryId, handler: handler.name }), attempt, deadline, signal },
      ),
    deps.handlerTimeoutMs,
    now,
    deps.stopping,
    (lateError) =>
      deps.logger.warn(
        { ...ids, ...(lateError ? { error: lateError } : {}) },
        lateError ? 'abandoned handler failed after all' : 'abandoned handler finished after all; a later attempt may run it again',
      ),
  );
  if (!run.ok) {
    const error = describeError(run.thrown);
    // An abandoned handler may still be running: its lease stays until it expires, so no redelivery runs beside it.
    if (run.thrown instanceof PermanentError) return settleDeadLetter('permanent', error, run.abandoned);
    if (attempt >= deps.maxDeliveryAttempts) return settleDeadLetter('exhausted', error, run.abandoned);
    await recordFailure(error, run.abandoned);
    return { ...result, outcome: 'retry', error };
  }

  try {
    await deps.ledger.complete(attributes.source, attributes.deliveryId, {
      handler: handler.name,
      now: clock(),
      // A redriven event's latency counts from its redrive, not from its first arrival (ledger.ts measuredFrom).
      receivedAt: measuredFrom(message.attributes),
    });
  } catch (error) {
    // The handler ran but the ledger did not record it: retry, and handlers must tolerate running twice anyway.
    return { ...result, outcome: 'retry', reason: 'ledger write failed after the handler ran', error: describeError(error) };
  }
  return { ...result, outcome: 'processed' };
}
