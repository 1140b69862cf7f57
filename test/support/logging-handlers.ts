// The handlers module of test/observability.e2e.test.ts's processor (HOOKPIPE_HANDLERS): one handler for the sample
// Stripe source that logs a line through the logger the processor hands it, so the test can find that line's trace.
import { z } from 'zod';
import { defineHandler } from '../../processor/src/handlers.ts';

export default [
  defineHandler({
    name: 'logging',
    source: 'stripe',
    schema: z.looseObject({ id: z.string() }),
    handle(event, { logger }) {
      logger.info({ payment: event.payload.id }, 'handler ran');
    },
  }),
];
