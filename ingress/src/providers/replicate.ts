// Replicate: Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`) under the account's `whsec_`
// signing secret. The body is the prediction itself, which names no event: the event type here is
// `prediction.<status>` (`prediction.succeeded`, `prediction.failed`, ...).
// https://replicate.com/docs/topics/webhooks/verify-webhook and https://replicate.com/docs/topics/webhooks
import { textAt } from './fields.ts';
import { jsonSample, randomHex, randomToken } from './sample.ts';
import { standardWebhooksPreset } from './standard-webhooks.ts';

const PREFIX = 'prediction.';

export const replicate = standardWebhooksPreset({
  name: 'replicate',
  eventType(payload) {
    const status = textAt(payload, 'status');
    return status === undefined ? undefined : `${PREFIX}${status}`;
  },
  sample(now, eventType = `${PREFIX}succeeded`) {
    const status = eventType.startsWith(PREFIX) ? eventType.slice(PREFIX.length) : eventType;
    const id = randomToken(26).toLowerCase();
    const urls = { get: `https://api.replicate.com/v1/predictions/${id}`, cancel: `https://api.replicate.com/v1/predictions/${id}/cancel` };
    const createdAt = new Date(now * 1000).toISOString();
    const prediction = { id, model: 'black-forest-labs/flux-schnell', version: randomHex(32), status, created_at: createdAt, urls };
    const output = status === 'succeeded' ? ['https://replicate.delivery/xezq/output.webp'] : null;
    return jsonSample({ ...prediction, input: { prompt: 'an astronaut riding a horse' }, output }, eventType);
  },
});
