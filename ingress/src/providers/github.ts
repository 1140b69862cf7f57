// GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`; the delivery GUID and event name come
// in headers, so the body is never parsed here.
import { signBody, verifyBodySignature, type BodySignature } from './body-signature.ts';
import type { Provider, Verdict, WebhookRequest } from './types.ts';

const HUB: BodySignature = { header: 'x-hub-signature-256', label: 'X-Hub-Signature-256', prefix: 'sha256=', encoding: 'hex' };

/** Shared with Meta, which signs its POSTs the same way. */
export const verifyHubSignature = (request: WebhookRequest, keys: readonly Buffer[]): Verdict => verifyBodySignature(request, keys, HUB);
export const hubSignature = (body: Buffer, secret: string): Record<string, string> => signBody(body, secret, HUB);

export const github: Provider<'github'> = {
  name: 'github',
  verify: (request, keys) => verifyHubSignature(request, keys),
  describe(request) {
    return {
      deliveryId: request.headers.get('x-github-delivery') ?? undefined,
      eventType: request.headers.get('x-github-event') ?? undefined,
    };
  },
  sign({ body, id, eventType }, secret) {
    return { ...hubSignature(body, secret), 'x-github-delivery': id, 'x-github-event': eventType ?? 'push' };
  },
};
