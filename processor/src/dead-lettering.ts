// The processor's own dead-lettering: a message it gives up on (a permanent failure, the last attempt, no handler,
// attributes that break the contract) goes to the dead-letter topic as it came, with its bytes, its attributes and
// its ordering key, plus the processor's reasons (shared/src/contract.ts). deliver.ts acks it only once this publish
// is confirmed.
//
// The ordering key is kept so that a redrive sends the message back with it, in order with its resource's other
// events. The dead-letter subscription has no message ordering (infra/pubsub.tf), and needs none: ordering is a
// property of a subscription, and one without it receives messages with ordering keys like any others, in no
// particular order (https://cloud.google.com/pubsub/docs/ordering). Publishing with a key needs the publisher's
// message ordering on (main.ts), and a failed publish holds its key back until resumed (publishConfirmed).
import { buildProcessorDeadLetterAttributes, type DeadLetterReason, type PushEnvelope } from '../../shared/src/contract.ts';
import type { LedgerError } from '../../shared/src/ledger-entry.ts';
import { type OutgoingMessage, type PublishPort, publishConfirmed } from '../../shared/src/pubsub.ts';

/** The dead-letter topic, opened with message ordering. */
export type DeadLetterPort = PublishPort;

export interface DeadLetterInfo {
  reason: DeadLetterReason;
  error: LedgerError;
  handler?: string | undefined;
  attempt: number;
  failedAt: Date;
}

/** The message as it goes to the dead-letter topic: the original bytes, attributes and ordering key, and why. */
export function deadLetterMessage(message: PushEnvelope['message'], raw: Buffer, info: DeadLetterInfo): OutgoingMessage {
  const reasons = buildProcessorDeadLetterAttributes({
    deadLetterReason: info.reason,
    errorClass: info.error.class,
    errorMessage: info.error.message,
    errorHandler: info.handler,
    errorAttempt: info.attempt,
    failedAt: info.failedAt.toISOString(),
    originalMessageId: message.messageId,
    originalPublishTime: message.publishTime,
  });
  return {
    data: raw,
    attributes: { ...message.attributes, ...reasons },
    ...(message.orderingKey ? { orderingKey: message.orderingKey } : {}),
  };
}

/** Resolves once Pub/Sub confirmed the dead letter; throws otherwise, and the delivery is then retried, not acked. */
export async function publishDeadLetter(
  port: DeadLetterPort,
  message: PushEnvelope['message'],
  raw: Buffer,
  info: DeadLetterInfo,
): Promise<void> {
  await publishConfirmed(port, deadLetterMessage(message, raw, info));
}
