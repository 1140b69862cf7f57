// A request as a provider module sees it, for the providers' unit tests: a POST with these headers and this body.
import type { WebhookRequest } from '../../ingress/src/providers/types.ts';

export function webhookRequest(headers: Record<string, string> = {}, body: Buffer = Buffer.alloc(0)): WebhookRequest {
  return { method: 'POST', url: new URL('https://hooks.example.com/webhooks/test'), headers: new Headers(headers), body };
}

/** What `sign()` takes, for a body signed at `now` (unix seconds) under delivery id `id`. */
export function signInput(body: Buffer, now = 0, id = 'msg_1') {
  return { body, url: new URL('https://hooks.example.com/webhooks/test'), now, id, contentType: 'application/json' };
}
