// Bitbucket Cloud: a webhook with a secret carries `X-Hub-Signature: sha256=<hex HMAC-SHA256 of the raw body>` (the
// header GitHub uses for SHA-1, here SHA-256); the request's UUID and the event key come in headers. A webhook
// without a secret is not signed at all, and is refused here.
// https://support.atlassian.com/bitbucket-cloud/docs/manage-webhooks/ (Secure webhooks)
// https://support.atlassian.com/bitbucket-cloud/docs/event-payloads/ (HTTP headers)
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { type BodySignature, signBody, verifyBodySignature } from './body-signature.ts';
import { jsonSample, randomHex } from './sample.ts';
import { defineProvider } from './types.ts';

const SIGNATURE: BodySignature = { header: 'x-hub-signature', label: 'X-Hub-Signature', prefix: 'sha256=', encoding: 'hex' };
const DEFAULT_EVENT = 'repo:push';

export const bitbucket = defineProvider({
  name: 'bitbucket',
  options: () => z.object({}).strict(),
  json: true,
  verify: (request, keys) => verifyBodySignature(request, keys, SIGNATURE),
  describe: (request) => ({
    deliveryId: request.headers.get('x-request-uuid') ?? undefined,
    eventType: request.headers.get('x-event-key') ?? undefined,
  }),
  sign({ body, id, eventType }, secret) {
    return {
      ...signBody(body, secret, SIGNATURE),
      'x-request-uuid': id,
      'x-event-key': eventType ?? DEFAULT_EVENT,
      'x-hook-uuid': '7f6f1a07-7a3c-4ab0-9a59-7e7cd3f25a33',
      'x-attempt-number': '1',
    };
  },
  sample(_now, eventType = DEFAULT_EVENT) {
    const repository = { type: 'repository', full_name: 'octo-team/hello-world', uuid: `{${randomUUID()}}` };
    const target = { type: 'commit', hash: randomHex(20), message: 'Fix the flux capacitor' };
    const change = { new: { type: 'branch', name: 'main', target } };
    return jsonSample({ push: { changes: [change] }, repository, actor: { type: 'user', display_name: 'Octo Cat' } }, eventType);
  },
});
