// Vercel: `x-vercel-signature: <hex HMAC-SHA1 of the raw body>` under the webhook's secret (or the integration's
// client secret); the event's id and type are in the body (`id`, `type`). No timestamp is signed: a retry is told
// apart by its id.
// https://vercel.com/docs/webhooks/webhooks-api#securing-webhooks
import { z } from 'zod';
import { type BodySignature, signBody, verifyBodySignature } from './body-signature.ts';
import { textAt } from './fields.ts';
import { jsonSample, randomToken } from './sample.ts';
import { defineProvider } from './types.ts';

const SHA1: BodySignature = { header: 'x-vercel-signature', label: 'x-vercel-signature', prefix: '', encoding: 'hex', algorithm: 'sha1' };

export const vercel = defineProvider({
  name: 'vercel',
  options: () => z.object({}).strict(),
  json: true,
  verify: (request, keys) => verifyBodySignature(request, keys, SHA1),
  describe: (_request, payload) => ({ deliveryId: textAt(payload(), 'id'), eventType: textAt(payload(), 'type') }),
  sign: ({ body }, secret) => signBody(body, secret, SHA1),
  sample(now, eventType = 'deployment.succeeded') {
    const deployment = { id: `dpl_${randomToken(24)}`, name: 'hello-world', url: 'hello-world-3kd9x.vercel.app' };
    return jsonSample(
      {
        id: `evt_${randomToken(24)}`,
        type: eventType,
        createdAt: now * 1000,
        region: 'iad1',
        payload: { deployment, project: { id: 'prj_12HKQaOmR5t5Uy6vdcQsNIiZgHGB' }, team: { id: 'team_1a2b3c4d5e6f7g8h9i0j1k2l' } },
      },
      eventType,
    );
  },
});
