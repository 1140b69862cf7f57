// A Ledger kept in a Map, for unit tests of the delivery rules; it applies the same claim rule as the Firestore
// ledger (decideClaim), which is itself tested against the Firestore emulator.
import {
  type ClaimInput,
  type CompleteFields,
  decideClaim,
  decideIgnore,
  decideUnhandledDeadLetter,
  type FailOptions,
  type Ledger,
  latencyOf,
} from '../../processor/src/ledger.ts';
import type { LedgerEntry, LedgerError } from '../../shared/src/ledger-entry.ts';

export class MemoryLedger implements Ledger {
  readonly entries = new Map<string, LedgerEntry>();
  failNext: Error | undefined;
  /** Fails every later write (complete, fail, deadLettered) with this error. */
  failWrites: Error | undefined;
  readonly #leaseMs: number;

  constructor(options: { leaseMs?: number } = {}) {
    this.#leaseMs = options.leaseMs ?? 60_000;
  }

  #key(source: string, deliveryId: string) {
    return `${source}:${deliveryId}`;
  }

  #update(source: string, deliveryId: string, fields: Partial<LedgerEntry>) {
    if (this.failWrites) throw this.failWrites;
    const entry = this.entries.get(this.#key(source, deliveryId));
    if (!entry) throw new Error('no such entry');
    Object.assign(entry, fields);
  }

  async claim(input: ClaimInput) {
    if (this.failNext) {
      const error = this.failNext;
      this.failNext = undefined;
      throw error;
    }
    const existing = this.entries.get(this.#key(input.source, input.deliveryId));
    const decision = decideClaim(existing, input);
    if (decision.kind === 'claimed') {
      this.entries.set(this.#key(input.source, input.deliveryId), {
        ...(existing ?? { createdAt: input.now }),
        source: input.source,
        deliveryId: input.deliveryId,
        eventType: input.eventType,
        messageId: input.messageId,
        status: 'processing',
        attempts: decision.attempts,
        replayCount: Math.max(input.replayCount, existing?.replayCount ?? 0),
        handler: input.handler,
        resourceKey: input.resourceKey,
        updatedAt: input.now,
        leaseExpiresAt: new Date(input.now.getTime() + this.#leaseMs),
        expireAt: new Date(input.now.getTime() + 86_400_000),
      } as LedgerEntry);
    }
    return decision;
  }

  async ignore(input: ClaimInput) {
    if (this.failNext) {
      const error = this.failNext;
      this.failNext = undefined;
      throw error;
    }
    const existing = this.entries.get(this.#key(input.source, input.deliveryId));
    const decision = decideIgnore(existing, input);
    if (decision.kind === 'ignored') this.#recordUnclaimed(input, existing, { status: 'ignored' });
    return decision;
  }

  async deadLetteredUnhandled(input: ClaimInput, error: LedgerError) {
    if (this.failWrites) throw this.failWrites;
    const existing = this.entries.get(this.#key(input.source, input.deliveryId));
    if (decideUnhandledDeadLetter(existing, input.now))
      this.#recordUnclaimed(input, existing, { status: 'dead-lettered', lastError: error });
  }

  /** What the Firestore ledger's ignore and deadLetteredUnhandled write: no lease, no handler. */
  #recordUnclaimed(input: ClaimInput, existing: LedgerEntry | undefined, outcome: Pick<LedgerEntry, 'status' | 'lastError'>) {
    this.entries.set(this.#key(input.source, input.deliveryId), {
      ...(existing ?? { createdAt: input.now, attempts: 0 }),
      source: input.source,
      deliveryId: input.deliveryId,
      eventType: input.eventType,
      messageId: input.messageId,
      ...outcome,
      replayCount: Math.max(input.replayCount, existing?.replayCount ?? 0),
      updatedAt: input.now,
      leaseExpiresAt: undefined,
      expireAt: new Date(input.now.getTime() + 86_400_000),
    } as LedgerEntry);
  }

  async complete(source: string, deliveryId: string, fields: CompleteFields) {
    const latency = fields.receivedAt ? { latencyMs: latencyOf(fields.receivedAt, fields.now) } : {};
    this.#update(source, deliveryId, {
      status: 'processed',
      handler: fields.handler,
      processedAt: fields.now,
      leaseExpiresAt: undefined,
      ...latency,
    });
  }

  async fail(source: string, deliveryId: string, error: LedgerError, now: Date, options: FailOptions = {}) {
    const lease = options.keepLease ? {} : { leaseExpiresAt: undefined };
    this.#update(source, deliveryId, { status: 'failed', lastError: error, updatedAt: now, ...lease });
  }

  async deadLettered(source: string, deliveryId: string, error: LedgerError) {
    this.#update(source, deliveryId, { status: 'dead-lettered', lastError: error, leaseExpiresAt: undefined });
  }

  async get(source: string, deliveryId: string) {
    return this.entries.get(this.#key(source, deliveryId));
  }
}
