// What the processor adds to a message it sends to the dead-letter topic itself (a permanent failure, or the last
// attempt): why, from which handler, on which attempt, and when. Pub/Sub's own dead-lettering (when the processor
// could not answer at all) adds only its CloudPubSubDeadLetter* attributes.
import { clampAttribute } from '../../shared/src/contract.ts';
import type { LedgerError } from './ledger.ts';

export type DeadLetterReason = 'permanent' | 'exhausted' | 'unhandled' | 'invalid-message';

export interface DeadLetterInfo {
  reason: DeadLetterReason;
  error: LedgerError;
  handler?: string | undefined;
  attempt: number;
  failedAt: Date;
  messageId: string;
  publishTime: string;
}

/** The original attributes untouched, plus the error's; a replay strips the error's again (see ERROR_ATTRIBUTES). */
export function deadLetterAttributes(original: Record<string, string>, info: DeadLetterInfo): Record<string, string> {
  const attributes: Record<string, string> = {
    ...original,
    deadLetterReason: info.reason,
    errorClass: clampAttribute(info.error.class),
    errorMessage: clampAttribute(info.error.message),
    errorAttempt: String(info.attempt),
    failedAt: info.failedAt.toISOString(),
    originalMessageId: info.messageId,
    originalPublishTime: info.publishTime,
  };
  if (info.handler !== undefined) attributes.errorHandler = info.handler;
  return attributes;
}

export const ERROR_ATTRIBUTES = [
  'deadLetterReason',
  'errorClass',
  'errorMessage',
  'errorAttempt',
  'errorHandler',
  'failedAt',
  'originalMessageId',
  'originalPublishTime',
] as const;

/** The part of a Pub/Sub Topic used to dead-letter: one awaited, confirmed publish. */
export interface DeadLetterPort {
  publishMessage(message: { data: Buffer; attributes: Record<string, string> }): Promise<string>;
}
