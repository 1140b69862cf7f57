// OpenAI: Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`) under the endpoint's `whsec_`
// signing secret; the event type is the body's `type` (`response.completed`, `batch.completed`, ...).
// https://platform.openai.com/docs/guides/webhooks
import { jsonSample, randomToken } from './sample.ts';
import { standardWebhooksPreset } from './standard-webhooks.ts';

export const openai = standardWebhooksPreset({
  name: 'openai',
  sample(now, eventType = 'response.completed') {
    const data = { id: `resp_${randomToken(48).toLowerCase()}` };
    return jsonSample({ object: 'event', id: `evt_${randomToken(32).toLowerCase()}`, type: eventType, created_at: now, data }, eventType);
  },
});
