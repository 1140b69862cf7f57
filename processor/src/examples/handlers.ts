// The handlers the processor runs when HOOKPIPE_HANDLERS names no module of your own. Copy this file to start
// yours: export a list of handlers, or a function of the services (Firestore, env, logger) that returns one.
// Order matters: the first handler that matches an event takes it, so the catch-all comes last. A module reads its
// own variables as the services read theirs: declared once in a zod schema, checked at start-up, a bad value
// stopping the processor with the variable named (readConfig throws ConfigError).
import { z } from 'zod';
import { envInt, envString, readConfig } from '../../../shared/src/config.ts';
import type { HandlerServices } from '../handlers.ts';
import { githubNotify } from './github-notify.ts';
import { recordAll } from './record-all.ts';
import { stripePayments } from './stripe-payments.ts';

const settings = z.object({
  HOOKPIPE_PAYMENTS_COLLECTION: envString().default('payments'),
  /** Where github-push-notify posts; without it, that handler is left out. */
  HOOKPIPE_NOTIFY_URL: z.url().optional(),
  HOOKPIPE_NOTIFY_TIMEOUT_MS: envInt(5000, { min: 1, max: 600_000 }),
  HOOKPIPE_ARCHIVE_COLLECTION: envString().default('webhook-archive'),
});

export default function handlers({ firestore, env }: HandlerServices) {
  const config = readConfig(settings, env);
  return [
    stripePayments(firestore, config.HOOKPIPE_PAYMENTS_COLLECTION),
    ...(config.HOOKPIPE_NOTIFY_URL
      ? [githubNotify({ url: config.HOOKPIPE_NOTIFY_URL, timeoutMs: config.HOOKPIPE_NOTIFY_TIMEOUT_MS })]
      : []),
    recordAll(firestore, config.HOOKPIPE_ARCHIVE_COLLECTION),
  ];
}
