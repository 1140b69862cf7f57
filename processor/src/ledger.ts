// The idempotency ledger: one Firestore document per (source, deliveryId). A delivery claims its document with a
// lease before its handler runs; a redelivery of a processed event is a duplicate and its handler does not run; a
// lease left by an instance that died expires and the event can be claimed again. The documents' shape is
// shared/src/ledger-entry.ts, which the operations read too.
//
// The common case, an event seen for the first time, takes two Firestore writes and no read: the claim creates the
// document, the completion updates it. A create fails with ALREADY_EXISTS when the document exists
// (https://cloud.google.com/nodejs/docs/reference/firestore/latest/firestore/bulkwriter); only then (a redelivery, a
// retry after a failure, an expired lease, a replay) does the claim read the document, and it decides by the same
// rule (decideClaim), in a transaction when the claim would write. Single-document writes share RPCs with the other
// deliveries of the moment (write-batcher.ts).
//
// An event no handler takes is recorded too, with one create and no lease, so that the ledger counts every event that
// arrived (ops/src/stats.ts): as `ignored` (HOOKPIPE_UNHANDLED=ignore, `ignore`), or as `dead-lettered` once its
// dead-letter publish is confirmed (HOOKPIPE_UNHANDLED=dead-letter, `deadLetteredUnhandled`). A completion stores the
// receive-to-processed latency as a number (`latencyMs`), which Firestore's avg() aggregation can read; a redriven
// event's counts from its redrive (`measuredFrom`).
import { type DocumentReference, FieldValue, type Firestore } from '@google-cloud/firestore';
import { parseReceivedAt, parseRedriveAttributes } from '../../shared/src/contract.ts';
import {
  entryFromFirestore,
  type LedgerEntry,
  type LedgerError,
  type LedgerStatus,
  ledgerDocumentId,
} from '../../shared/src/ledger-entry.ts';
import { type BatchedWrite, createWriteBatcher } from './write-batcher.ts';

export interface ClaimInput {
  source: string;
  deliveryId: string;
  eventType?: string | undefined;
  messageId: string;
  receivedAt?: Date | undefined;
  replayCount: number;
  resourceKey?: string | undefined;
  handler?: string | undefined;
  /** Run the handler again for an event settled before this time (`hookpipe replay --since ... --force`). */
  forceSettledBefore?: Date | undefined;
  now: Date;
}

export type ClaimDecision =
  | { kind: 'claimed'; attempts: number }
  | { kind: 'duplicate'; status: LedgerStatus }
  | { kind: 'busy'; until: Date };

/** The claim rule, free of I/O: what a delivery may do given what the ledger holds. */
export function decideClaim(existing: LedgerEntry | undefined, input: ClaimInput): ClaimDecision {
  if (!existing) return { kind: 'claimed', attempts: 1 };
  const replayed = input.replayCount > existing.replayCount;
  // Forced once: after the forced run the event is settled again, later than the force, and redeliveries are duplicates.
  const forced = input.forceSettledBefore !== undefined && existing.updatedAt < input.forceSettledBefore;
  switch (existing.status) {
    case 'processed':
      return forced ? { kind: 'claimed', attempts: existing.attempts + 1 } : { kind: 'duplicate', status: 'processed' };
    case 'dead-lettered':
      // Pub/Sub redelivering what was already dead-lettered is a duplicate; an operator's replay runs it again.
      return replayed || forced ? { kind: 'claimed', attempts: existing.attempts + 1 } : { kind: 'duplicate', status: 'dead-lettered' };
    case 'ignored':
      // A claim is asked only when a handler takes the event: none did when it came, so whatever brings it back (a
      // seek after the handler's deploy, a redrive) runs it, as it did before ignored events were recorded.
      return { kind: 'claimed', attempts: existing.attempts + 1 };
    case 'processing':
    case 'failed':
      // A failure keeps its lease when its handler may still be running (it passed its deadline, or the instance is
      // stopping): the next attempt waits for the lease to expire instead of running beside it.
      if (existing.leaseExpiresAt && existing.leaseExpiresAt > input.now) return { kind: 'busy', until: existing.leaseExpiresAt };
      return { kind: 'claimed', attempts: existing.attempts + 1 };
  }
}

/** What recording an event no handler takes decided: recorded as ignored, or what the ledger already held says. */
export type IgnoreDecision = { kind: 'ignored' } | Exclude<ClaimDecision, { kind: 'claimed' }>;

/**
 * The rule for an event no handler takes, given what the ledger holds: an ignored event stays ignored (nothing to
 * write); otherwise decideClaim's, except that where a handler would run, the event is ignored (none takes it now).
 */
export function decideIgnore(existing: LedgerEntry | undefined, input: ClaimInput): IgnoreDecision {
  if (existing?.status === 'ignored') return { kind: 'duplicate', status: 'ignored' };
  const claim = decideClaim(existing, input);
  return claim.kind === 'claimed' ? { kind: 'ignored' } : claim;
}

/**
 * Whether an event dead-lettered for want of a handler is recorded so over what the ledger holds. Its message is
 * safely in the dead-letter topic either way; the record only says so. A processed event keeps its status (it ran;
 * the dead letter is a later copy), and so does a document with a live lease: a handler running elsewhere (during a
 * deploy), or abandoned and maybe still running, whose lease must keep a redrive from running it beside itself.
 * Anything else (ignored, failed, an expired claim, dead-lettered before) is dead-lettered now, without a lease: a
 * redrive that finds a handler then runs it (decideClaim: a newer replay).
 */
export function decideUnhandledDeadLetter(existing: LedgerEntry | undefined, now: Date): boolean {
  if (!existing) return true;
  if (existing.status === 'processed') return false;
  return !(existing.leaseExpiresAt !== undefined && existing.leaseExpiresAt > now);
}

export interface CompleteFields {
  handler: string;
  now: Date;
  /** When the latency starts (measuredFrom: the ingress's receipt, or the redrive): with `now`, the latency stored for averages. */
  receivedAt?: Date | undefined;
}

export interface Ledger {
  claim(input: ClaimInput): Promise<ClaimDecision>;
  /**
   * Records an event no handler takes as `ignored`: one create, no lease and no read. A document that exists already
   * is decided by decideIgnore (a redelivery of an ignored event is a duplicate; an expired claim, or a redrive of a
   * dead letter whose handler was removed, is ignored this time, and the document says so).
   */
  ignore(input: ClaimInput): Promise<IgnoreDecision>;
  /**
   * Records an event dead-lettered for want of a handler (HOOKPIPE_UNHANDLED=dead-letter), called only once its
   * dead-letter publish is confirmed: one create, no lease and no read. A document that exists already is updated
   * only when decideUnhandledDeadLetter says so (in a transaction: rare).
   */
  deadLetteredUnhandled(input: ClaimInput, error: LedgerError): Promise<void>;
  complete(source: string, deliveryId: string, fields: CompleteFields): Promise<void>;
  /**
   * Records a failed attempt. The lease is released, so the next attempt may run at once, unless `keepLease`: the
   * handler was abandoned while it may still be running, and the lease, unchanged, keeps a redelivery out until it
   * expires (never longer, so a handler that never returns cannot block the event for good).
   */
  fail(source: string, deliveryId: string, error: LedgerError, now: Date, options?: FailOptions): Promise<void>;
  deadLettered(source: string, deliveryId: string, error: LedgerError, now: Date): Promise<void>;
  get(source: string, deliveryId: string): Promise<LedgerEntry | undefined>;
}

export interface FailOptions {
  keepLease?: boolean | undefined;
}

export interface LedgerOptions {
  collection: string;
  /** How long a claim holds: longer than the handler deadline, so a live handler never loses its claim. */
  leaseMs: number;
  /** How long documents are kept (the TTL policy deletes them after `expireAt`). */
  retentionDays: number;
}

/**
 * When a delivery's receive-to-processed latency starts: the redrive's time for a message an operator redrove (its
 * replayedAt attribute), so that days spent as a dead letter are not counted as latency; else the ingress's receipt
 * (receivedAt). Undefined when neither parses. The delivery's log line (app.ts) and the ledger's latencyMs both use it.
 */
export function measuredFrom(attributes: Record<string, string>): Date | undefined {
  const { replayedAt } = parseRedriveAttributes(attributes);
  const start = replayedAt === undefined ? parseReceivedAt(attributes) : Date.parse(replayedAt);
  return start === undefined ? undefined : new Date(start);
}

/** Receive-to-processed time in whole ms, from measuredFrom; never negative (the instances' clocks may differ a little). */
export function latencyOf(receivedAt: Date, processedAt: Date): number {
  return Math.max(0, Math.round(processedAt.getTime() - receivedAt.getTime()));
}

/** gRPC's status for a create whose document exists (https://grpc.github.io/grpc/core/md_doc_statuscodes.html). */
const ALREADY_EXISTS = 6;

export class FirestoreLedger implements Ledger {
  readonly #firestore: Firestore;
  readonly #options: LedgerOptions;
  readonly #write: BatchedWrite;

  constructor(firestore: Firestore, options: LedgerOptions) {
    this.#firestore = firestore;
    this.#options = options;
    this.#write = createWriteBatcher(firestore);
  }

  #doc(source: string, deliveryId: string) {
    return this.#firestore.collection(this.#options.collection).doc(ledgerDocumentId(source, deliveryId));
  }

  #expiry(now: Date): Date {
    return new Date(now.getTime() + this.#options.retentionDays * 24 * 60 * 60 * 1000);
  }

  /** What a claim writes, given the decision and what the document held. */
  #claimFields(input: ClaimInput, attempts: number, existing: LedgerEntry | undefined) {
    return {
      source: input.source,
      deliveryId: input.deliveryId,
      messageId: input.messageId,
      status: 'processing' as const,
      attempts,
      replayCount: Math.max(input.replayCount, existing?.replayCount ?? 0),
      updatedAt: input.now,
      leaseExpiresAt: new Date(input.now.getTime() + this.#options.leaseMs),
      expireAt: this.#expiry(input.now),
      ...(input.eventType === undefined ? {} : { eventType: input.eventType }),
      ...(input.resourceKey === undefined ? {} : { resourceKey: input.resourceKey }),
      ...(input.handler === undefined ? {} : { handler: input.handler }),
      ...(input.receivedAt === undefined ? {} : { receivedAt: input.receivedAt }),
    };
  }

  /**
   * The write every record of an arrival starts with: one create, the common case (no read, no transaction). When the
   * document exists, `decide` (pure) judges what it holds; a read alone answers a decision that writes nothing
   * (`fields` undefined), so nothing can be lost between the read and the answer, and only a decision that would
   * write runs a transaction, which reads and decides again: two deliveries racing for the same document cannot both
   * win. The document may have gone (the TTL policy) between the failed create and the read: it is created then.
   */
  async #createElseDecide<D>(
    ref: DocumentReference,
    created: D | undefined,
    decide: (existing: LedgerEntry | undefined) => D,
    fields: (decision: D, existing: LedgerEntry | undefined) => Record<string, unknown> | undefined,
    now: Date,
  ): Promise<D> {
    if (created !== undefined) {
      const first = fields(created, undefined);
      try {
        if (first) await this.#write((writer) => writer.create(ref, { ...first, createdAt: now }));
        return created;
      } catch (error) {
        if ((error as { code?: unknown }).code !== ALREADY_EXISTS) throw error;
      }
    }
    const seen = await ref.get();
    const seenEntry = seen.exists ? entryFromFirestore(seen.data()!) : undefined;
    const early = decide(seenEntry);
    if (fields(early, seenEntry) === undefined) return early;
    return this.#firestore.runTransaction(async (tx) => {
      const snapshot = await tx.get(ref);
      const existing = snapshot.exists ? entryFromFirestore(snapshot.data()!) : undefined;
      const decision = decide(existing);
      const write = fields(decision, existing);
      if (write && existing) tx.update(ref, write);
      else if (write) tx.create(ref, { ...write, createdAt: now });
      return decision;
    });
  }

  async claim(input: ClaimInput): Promise<ClaimDecision> {
    // A forced re-run is asked for a settled event only, whose document exists: no create to try.
    const first = input.forceSettledBefore === undefined ? decideClaim(undefined, input) : undefined;
    return this.#createElseDecide(
      this.#doc(input.source, input.deliveryId),
      first,
      (existing) => decideClaim(existing, input),
      (decision, existing) => (decision.kind === 'claimed' ? this.#claimFields(input, decision.attempts, existing) : undefined),
      input.now,
    );
  }

  /** One update of an existing document (it fails with NOT_FOUND when there is none), batched with the others. */
  #update(source: string, deliveryId: string, fields: Record<string, unknown>): Promise<void> {
    const ref = this.#doc(source, deliveryId);
    return this.#write(async (writer) => {
      await writer.update(ref, fields);
    });
  }

  /** What recording an event no handler takes writes (ignore, deadLetteredUnhandled): no lease, no handler. */
  #unclaimedFields(input: ClaimInput, status: 'ignored' | 'dead-lettered', existing: LedgerEntry | undefined) {
    return {
      source: input.source,
      deliveryId: input.deliveryId,
      messageId: input.messageId,
      status,
      // No handler ran: the attempts count claims, and a redrive that finds a handler makes the first.
      attempts: existing?.attempts ?? 0,
      replayCount: Math.max(input.replayCount, existing?.replayCount ?? 0),
      updatedAt: input.now,
      expireAt: this.#expiry(input.now),
      ...(input.eventType === undefined ? {} : { eventType: input.eventType }),
      ...(input.receivedAt === undefined ? {} : { receivedAt: input.receivedAt }),
    };
  }

  async ignore(input: ClaimInput): Promise<IgnoreDecision> {
    // Recorded before is rare (a redelivery, a redrive, a handler removed by a deploy).
    return this.#createElseDecide(
      this.#doc(input.source, input.deliveryId),
      { kind: 'ignored' } as IgnoreDecision,
      (existing) => decideIgnore(existing, input),
      (decision, existing) =>
        decision.kind === 'ignored' ? { ...this.#unclaimedFields(input, 'ignored', existing), ...this.#noLease(existing) } : undefined,
      input.now,
    );
  }

  async deadLetteredUnhandled(input: ClaimInput, error: LedgerError): Promise<void> {
    await this.#createElseDecide(
      this.#doc(input.source, input.deliveryId),
      true,
      (existing) => decideUnhandledDeadLetter(existing, input.now),
      (write, existing) =>
        write ? { ...this.#unclaimedFields(input, 'dead-lettered', existing), lastError: error, ...this.#noLease(existing) } : undefined,
      input.now,
    );
  }

  /** An update of an existing document drops its lease; a create has none to drop. */
  #noLease(existing: LedgerEntry | undefined) {
    return existing ? { leaseExpiresAt: FieldValue.delete() } : {};
  }

  async complete(source: string, deliveryId: string, fields: CompleteFields): Promise<void> {
    await this.#update(source, deliveryId, {
      status: 'processed',
      handler: fields.handler,
      processedAt: fields.now,
      ...(fields.receivedAt === undefined ? {} : { latencyMs: latencyOf(fields.receivedAt, fields.now) }),
      updatedAt: fields.now,
      leaseExpiresAt: FieldValue.delete(),
    });
  }

  async fail(source: string, deliveryId: string, error: LedgerError, now: Date, options: FailOptions = {}): Promise<void> {
    await this.#update(source, deliveryId, {
      status: 'failed',
      lastError: error,
      updatedAt: now,
      ...(options.keepLease ? {} : { leaseExpiresAt: FieldValue.delete() }),
    });
  }

  async deadLettered(source: string, deliveryId: string, error: LedgerError, now: Date): Promise<void> {
    await this.#update(source, deliveryId, {
      status: 'dead-lettered',
      lastError: error,
      updatedAt: now,
      leaseExpiresAt: FieldValue.delete(),
    });
  }

  async get(source: string, deliveryId: string): Promise<LedgerEntry | undefined> {
    const snapshot = await this.#doc(source, deliveryId).get();
    return snapshot.exists ? entryFromFirestore(snapshot.data()!) : undefined;
  }
}
