// Clerk: webhooks sent through Svix (`svix-id`, `svix-timestamp`, `svix-signature`), signed as Standard Webhooks with
// the endpoint's `whsec_` signing secret; the event type is the body's `type` (`user.created`, `session.created`, ...).
// https://clerk.com/docs/webhooks/overview and https://clerk.com/docs/reference/backend/verify-webhook
import { jsonSample, randomToken } from './sample.ts';
import { standardWebhooksPreset } from './standard-webhooks.ts';

export const clerk = standardWebhooksPreset({
  name: 'clerk',
  sample(now, eventType = 'user.created') {
    const user = { id: `user_${randomToken(27)}`, object: 'user', first_name: 'Octavia', last_name: 'Chen', created_at: now * 1000 };
    const email = { id: `idn_${randomToken(27)}`, object: 'email_address', email_address: 'octavia@example.com' };
    const data = { ...user, email_addresses: [email], primary_email_address_id: email.id };
    return jsonSample({ data, object: 'event', type: eventType, timestamp: now * 1000, instance_id: `ins_${randomToken(27)}` }, eventType);
  },
});
