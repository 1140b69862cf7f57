// How a delivery meets a force window (seek replay with --force): the windows are asked about only when the ledger
// calls the delivery a duplicate, with the delivery's subscription, and a window makes the handler run once more.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import type { PushEnvelope } from '../../shared/src/contract.ts';
import { createLogger } from '../../shared/src/logger.ts';
import { MemoryLedger } from '../../test/support/memory-ledger.ts';
import { type DeliveryDeps, deliver } from './deliver.ts';
import { defineHandler } from './handlers.ts';

const envelope: PushEnvelope = {
  message: {
    data: Buffer.from(JSON.stringify({ id: 'evt_1' })).toString('base64'),
    attributes: { source: 'stripe', provider: 'stripe', deliveryId: 'evt_1', receivedAt: '2026-11-24T10:00:00.000Z' },
    messageId: 'm-1',
    publishTime: '2026-11-24T10:00:00.100Z',
  },
  subscription: 'projects/p/subscriptions/webhook-events-processor',
};

test('force windows are read for duplicates only, and a window covering one runs its handler once more', async () => {
  let runs = 0;
  const asked: Array<[string, string]> = [];
  let window: Date | undefined;
  let now = new Date('2026-11-24T10:00:01.000Z');
  const deps: DeliveryDeps = {
    clock: () => now,
    handlers: [
      defineHandler({
        name: 'payments',
        schema: z.looseObject({ id: z.string() }),
        handle: () => {
          runs += 1;
        },
      }),
    ],
    ledger: new MemoryLedger(),
    deadLetter: { publishMessage: () => Promise.reject(new Error('not expected')), resumePublishing: () => {} },
    logger: createLogger({ service: 'test', level: 'silent' }),
    handlerTimeoutMs: 1000,
    maxDeliveryAttempts: 5,
    unhandled: 'ignore',
    forceReplay: async (publishTime, subscription) => {
      asked.push([publishTime.toISOString(), subscription]);
      return window;
    },
  };

  assert.equal((await deliver(envelope, deps)).outcome, 'processed');
  assert.deepEqual(asked, [], 'a first delivery costs no read of the windows');

  assert.equal((await deliver(envelope, deps)).outcome, 'duplicate');
  assert.deepEqual(asked, [['2026-11-24T10:00:00.100Z', 'projects/p/subscriptions/webhook-events-processor']]);

  // An operator forces a re-run at 10:00:03; the seek's redelivery comes at 10:00:04.
  window = new Date('2026-11-24T10:00:03.000Z');
  now = new Date('2026-11-24T10:00:04.000Z');
  assert.equal((await deliver(envelope, deps)).outcome, 'processed');
  assert.equal(runs, 2);
  // Settled again after the request, so the same window makes the next redelivery a duplicate.
  now = new Date('2026-11-24T10:00:05.000Z');
  assert.equal((await deliver(envelope, deps)).outcome, 'duplicate');
  assert.equal(runs, 2);
});
