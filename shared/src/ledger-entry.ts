// The ledger's documents, as the processor writes them (processor/src/ledger.ts) and the operations read them
// (ops/src/events.ts): one Firestore document per (source, deliveryId) in HOOKPIPE_LEDGER_COLLECTION.
import type { DocumentData } from '@google-cloud/firestore';
import { dateOf } from './firestore-values.ts';

/** `ignored`: no handler took the event (HOOKPIPE_UNHANDLED=ignore); recorded so that every event that arrived is counted. */
export const LEDGER_STATUSES = ['processing', 'processed', 'failed', 'dead-lettered', 'ignored'] as const;
export type LedgerStatus = (typeof LEDGER_STATUSES)[number];

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
  /** How many operator redrives this event has had; a redrive may run an event again, a plain redelivery not. */
  replayCount: number;
  handler?: string | undefined;
  resourceKey?: string | undefined;
  lastError?: LedgerError | undefined;
  createdAt: Date;
  updatedAt: Date;
  processedAt?: Date | undefined;
  /** processedAt less receivedAt, in ms, for a processed event: kept so that Firestore can average it (ops/src/stats.ts). */
  latencyMs?: number | undefined;
  leaseExpiresAt?: Date | undefined;
  /** Read by a Firestore TTL policy, which deletes the document after it. */
  expireAt: Date;
}

/** Document ids: delivery ids are normalised by the ingress (no "/", at most 256 characters). */
export function ledgerDocumentId(source: string, deliveryId: string): string {
  return `${source}:${deliveryId}`;
}

export function entryFromFirestore(data: DocumentData): LedgerEntry {
  return {
    ...(data as LedgerEntry),
    replayCount: (data.replayCount as number | undefined) ?? 0,
    createdAt: dateOf(data.createdAt)!,
    updatedAt: dateOf(data.updatedAt)!,
    processedAt: dateOf(data.processedAt),
    receivedAt: dateOf(data.receivedAt),
    leaseExpiresAt: dateOf(data.leaseExpiresAt),
    expireAt: dateOf(data.expireAt)!,
  };
}
