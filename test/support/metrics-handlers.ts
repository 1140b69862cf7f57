// The handlers test/metrics.e2e.test.ts runs in a real processor process (HOOKPIPE_HANDLERS), chosen by the event
// id as in the other end-to-end tests: `evt_flaky...` fails its first attempt, `evt_perm...` fails for good, any other
// payment succeeds; GitHub pushes succeed; a Stripe event that is not a payment has no handler (ignored).
import { z } from 'zod';
import { defineHandler } from '../../processor/src/handlers.ts';
import { PermanentError } from '../../shared/src/errors.ts';

export default [
  defineHandler({
    name: 'payments',
    source: 'stripe',
    eventTypes: ['payment_intent.*'],
    schema: z.looseObject({ id: z.string() }),
    handle(event, context) {
      if (event.deliveryId.startsWith('evt_flaky') && context.attempt === 1) throw new Error('flaky on its first attempt');
      if (event.deliveryId.startsWith('evt_perm')) throw new PermanentError('the customer was deleted');
    },
  }),
  defineHandler({ name: 'pushes', source: 'github', eventTypes: ['push'], schema: z.looseObject({}), handle() {} }),
];
