// The idempotency ledger: one Firestore document per (source, deliveryId). A delivery claims its document with a
// lease before its handler runs; a redelivery of a processed event is a duplicate and its handler does not run; a
// lease left by an instance that died expires and the event can be claimed again.
import { FieldValue, Timestamp, type DocumentData, type Firestore } from '@google-cloud/firestore';

export type LedgerStatus = 'processing' | 'processed' | 'failed' | 'dead-lettered';

export interface LedgerError {
  class: string;
  message: string;
}

export interface LedgerEntry {
  source: string;
  deliveryId: string;
  eventType?: string | undefined;
  messageId: string;
  /** When the ingress accepted the event. */
  receivedAt?: Date | undefined;
  status: LedgerStatus;
  attempts: number;
  /** How many operator replays this event has had; a replay may run an event again, a plain redelivery not. */
  replayCount: number;
  handler?: string | undefined;
  resourceKey?: string | undefined;
  lastError?: LedgerError | undefined;
  createdAt: Date;
  updatedAt: Date;
  processedAt?: Date | undefined;
  leaseExpiresAt?: Date | undefined;
  /** Read by a Firestore TTL policy, which deletes the document after it. */
  expireAt: Date;
}

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
    case 'processing':
    case 'failed':
      // A failure keeps its lease when its handler may still be running (it passed its deadline, or the instance is
      // stopping): the next attempt waits for the lease to expire instead of running beside it.
      if (existing.leaseExpiresAt && existing.leaseExpiresAt > input.now) return { kind: 'busy', until: existing.leaseExpiresAt };
      return { kind: 'claimed', attempts: existing.attempts + 1 };
  }
}

export interface Ledger {
  claim(input: ClaimInput): Promise<ClaimDecision>;
  complete(source: string, deliveryId: string, fields: { handler: string; now: Date }): Promise<void>;
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

export const DEFAULT_LEDGER_COLLECTION = 'hookpipe-deliveries';

/** Document ids: delivery ids are normalised by the ingress (no "/", at most 256 characters). */
export function ledgerDocumentId(source: string, deliveryId: string): string {
  return `${source}:${deliveryId}`;
}

function toDate(value: unknown): Date | undefined {
  if (value instanceof Timestamp) return value.toDate();
  if (value instanceof Date) return value;
  return undefined;
}

export function entryFromFirestore(data: DocumentData): LedgerEntry {
  return {
    ...(data as LedgerEntry),
    replayCount: (data.replayCount as number | undefined) ?? 0,
    createdAt: toDate(data.createdAt)!,
    updatedAt: toDate(data.updatedAt)!,
    processedAt: toDate(data.processedAt),
    receivedAt: toDate(data.receivedAt),
    leaseExpiresAt: toDate(data.leaseExpiresAt),
    expireAt: toDate(data.expireAt)!,
  };
}

export class FirestoreLedger implements Ledger {
  readonly #firestore: Firestore;
  readonly #options: LedgerOptions;

  constructor(firestore: Firestore, options: LedgerOptions) {
    this.#firestore = firestore;
    this.#options = options;
  }

  #doc(source: string, deliveryId: string) {
    return this.#firestore.collection(this.#options.collection).doc(ledgerDocumentId(source, deliveryId));
  }

  #expiry(now: Date): Date {
    return new Date(now.getTime() + this.#options.retentionDays * 24 * 60 * 60 * 1000);
  }

  async claim(input: ClaimInput): Promise<ClaimDecision> {
    const ref = this.#doc(input.source, input.deliveryId);
    return this.#firestore.runTransaction(async (tx) => {
      const snapshot = await tx.get(ref);
      const existing = snapshot.exists ? entryFromFirestore(snapshot.data()!) : undefined;
      const decision = decideClaim(existing, input);
      if (decision.kind !== 'claimed') return decision;
      const fields = {
        source: input.source,
        deliveryId: input.deliveryId,
        messageId: input.messageId,
        status: 'processing' as const,
        attempts: decision.attempts,
        replayCount: Math.max(input.replayCount, existing?.replayCount ?? 0),
        updatedAt: input.now,
        leaseExpiresAt: new Date(input.now.getTime() + this.#options.leaseMs),
        expireAt: this.#expiry(input.now),
        ...(input.eventType === undefined ? {} : { eventType: input.eventType }),
        ...(input.resourceKey === undefined ? {} : { resourceKey: input.resourceKey }),
        ...(input.handler === undefined ? {} : { handler: input.handler }),
        ...(input.receivedAt === undefined ? {} : { receivedAt: input.receivedAt }),
      };
      if (existing) tx.update(ref, fields);
      else tx.create(ref, { ...fields, createdAt: input.now });
      return decision;
    });
  }

  async complete(source: string, deliveryId: string, fields: { handler: string; now: Date }): Promise<void> {
    await this.#doc(source, deliveryId).update({
      status: 'processed',
      handler: fields.handler,
      processedAt: fields.now,
      updatedAt: fields.now,
      leaseExpiresAt: FieldValue.delete(),
    });
  }

  async fail(source: string, deliveryId: string, error: LedgerError, now: Date, options: FailOptions = {}): Promise<void> {
    await this.#doc(source, deliveryId).update({
      status: 'failed',
      lastError: error,
      updatedAt: now,
      ...(options.keepLease ? {} : { leaseExpiresAt: FieldValue.delete() }),
    });
  }

  async deadLettered(source: string, deliveryId: string, error: LedgerError, now: Date): Promise<void> {
    await this.#doc(source, deliveryId).update({ status: 'dead-lettered', lastError: error, updatedAt: now, leaseExpiresAt: FieldValue.delete() });
  }

  async get(source: string, deliveryId: string): Promise<LedgerEntry | undefined> {
    const snapshot = await this.#doc(source, deliveryId).get();
    return snapshot.exists ? entryFromFirestore(snapshot.data()!) : undefined;
  }
}
