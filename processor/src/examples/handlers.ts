// The handlers the processor runs when HOOKPIPE_HANDLERS names no module of your own. Copy this file to start
// yours: export a list of handlers, or a function of the services (Firestore, env, logger) that returns one.
// Order matters: the first handler that matches an event takes it, so the catch-all comes last.
import type { HandlerServices } from '../handlers.ts';
import { githubNotify } from './github-notify.ts';
import { recordAll } from './record-all.ts';
import { stripePayments } from './stripe-payments.ts';

export default function handlers({ firestore, env }: HandlerServices) {
  return [
    stripePayments(firestore, env.HOOKPIPE_PAYMENTS_COLLECTION ?? 'payments'),
    ...(env.HOOKPIPE_NOTIFY_URL ? [githubNotify({ url: env.HOOKPIPE_NOTIFY_URL, timeoutMs: Number(env.HOOKPIPE_NOTIFY_TIMEOUT_MS ?? 5000) })] : []),
    recordAll(firestore, env.HOOKPIPE_ARCHIVE_COLLECTION ?? 'webhook-archive'),
  ];
}
