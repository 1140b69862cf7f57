// Resend: webhooks sent through Svix (`svix-id`, `svix-timestamp`, `svix-signature`), signed as Standard Webhooks with
// the webhook's `whsec_` signing secret; the event type is the body's `type` (`email.delivered`, `email.bounced`, ...).
// https://resend.com/docs/webhooks/verify-webhooks-requests and https://resend.com/docs/webhooks/introduction
import { randomUUID } from 'node:crypto';
import { jsonSample } from './sample.ts';
import { standardWebhooksPreset } from './standard-webhooks.ts';

export const resend = standardWebhooksPreset({
  name: 'resend',
  sample(now, eventType = 'email.delivered') {
    const createdAt = new Date(now * 1000).toISOString();
    const email = { email_id: randomUUID(), from: 'Acme <onboarding@resend.dev>', to: ['delivered@resend.dev'], subject: 'Welcome' };
    return jsonSample({ type: eventType, created_at: createdAt, data: { ...email, created_at: createdAt } }, eventType);
  },
});
