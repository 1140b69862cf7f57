// Liveblocks: webhooks sent through Svix as Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`)
// under the endpoint's `whsec_` signing secret; the event type is the body's `type` (`storageUpdated`, ...).
// https://liveblocks.io/docs/platform/webhooks
import { jsonSample, randomToken } from './sample.ts';
import { standardWebhooksPreset } from './standard-webhooks.ts';

export const liveblocks = standardWebhooksPreset({
  name: 'liveblocks',
  sample(now, eventType = 'storageUpdated') {
    const room = { projectId: randomToken(24).toLowerCase(), roomId: `room-${randomToken(8)}` };
    return jsonSample({ type: eventType, data: { ...room, updatedAt: new Date(now * 1000).toISOString() } }, eventType);
  },
});
