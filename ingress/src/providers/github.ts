// GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`; the delivery GUID and event name come
// in headers, so the body is never parsed here. Bodies may be forms (a webhook's content type setting).
import { z } from 'zod';
import { type BodySignature, signBody, verifyBodySignature } from './body-signature.ts';
import { jsonSample, randomHex } from './sample.ts';
import { defineProvider, type Verdict, type WebhookRequest } from './types.ts';

const HUB: BodySignature = { header: 'x-hub-signature-256', label: 'X-Hub-Signature-256', prefix: 'sha256=', encoding: 'hex' };

/** Shared with Meta, which signs its POSTs the same way. */
export const verifyHubSignature = (request: WebhookRequest, keys: readonly Buffer[]): Verdict => verifyBodySignature(request, keys, HUB);
export const hubSignature = (body: Buffer, secret: string): Record<string, string> => signBody(body, secret, HUB);

const DEFAULT_EVENT = 'push';

export const github = defineProvider({
  name: 'github',
  options: () => z.object({}).strict(),
  json: false,
  verify: (request, keys) => verifyHubSignature(request, keys),
  describe(request) {
    return {
      deliveryId: request.headers.get('x-github-delivery') ?? undefined,
      eventType: request.headers.get('x-github-event') ?? undefined,
    };
  },
  sign({ body, id, eventType }, secret) {
    return { ...hubSignature(body, secret), 'x-github-delivery': id, 'x-github-event': eventType ?? DEFAULT_EVENT };
  },
  sample(_now, eventType = DEFAULT_EVENT) {
    return jsonSample(
      {
        ref: 'refs/heads/main',
        before: randomHex(20),
        after: randomHex(20),
        repository: { id: 1296269, full_name: 'octo-org/hello-world', html_url: 'https://github.com/octo-org/hello-world' },
        pusher: { name: 'octocat', email: 'octocat@example.com' },
        commits: [{ id: randomHex(20), message: 'Fix the flux capacitor', author: { name: 'Octo Cat' } }],
      },
      eventType,
    );
  },
});
