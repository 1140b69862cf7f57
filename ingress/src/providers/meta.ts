// Meta (WhatsApp, Messenger, Instagram): a GET `hub.mode=subscribe&hub.verify_token=..&hub.challenge=..`
// handshake echoes the challenge when the verify token matches; POSTs are signed like GitHub's.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { singleSecret } from '../../../shared/src/sources.ts';
import { safeEqual } from './crypto.ts';
import { textAt } from './fields.ts';
import { hubSignature, verifyHubSignature } from './github.ts';
import { refusal } from './handshake.ts';
import { jsonSample, randomToken } from './sample.ts';
import { defineProvider } from './types.ts';

const digest = (text: string) => createHash('sha256').update(text).digest();

export const meta = defineProvider({
  name: 'meta',
  // The verify token is a secret like the app secret: inline, or from an environment variable.
  options: (env) => z.object({ verifyToken: singleSecret(env).optional() }).strict(),
  json: true,
  verify: (request, keys) => verifyHubSignature(request, keys),
  describe(_request, payload) {
    const body = payload();
    const object = textAt(body, 'object');
    const entries = (body as { entry?: Array<{ changes?: Array<{ field?: unknown }> }> } | null)?.entry;
    const field = Array.isArray(entries) ? entries[0]?.changes?.[0]?.field : undefined;
    return { eventType: object && typeof field === 'string' ? `${object}.${field}` : object };
  },
  // Outside the rule for handshakes that compute with a secret (handshake.ts): the answer is the challenge itself,
  // nothing derived from the app secret that signs POSTs, so it can never serve as a body signature. The verify
  // token guards it (compared in constant time), so a stranger gets only the 403.
  handshake(request, _keys, options) {
    const query = request.url.searchParams;
    if (query.get('hub.mode') !== 'subscribe') return undefined;
    const challenge = query.get('hub.challenge') ?? '';
    const token = query.get('hub.verify_token') ?? '';
    // Hashing both sides makes the comparison constant-time whatever the lengths.
    if (options.verifyToken === undefined || challenge === '' || !safeEqual(digest(options.verifyToken), digest(token))) {
      return refusal('forbidden', 'verify token mismatch');
    }
    return { status: 200, contentType: 'text/plain; charset=utf-8', body: challenge };
  },
  sign: ({ body }, secret) => hubSignature(body, secret),
  sample(now) {
    const message = { id: `wamid.${randomToken(20)}`, from: '15551234567', timestamp: String(now), type: 'text', text: { body: 'Hello' } };
    return jsonSample({
      object: 'whatsapp_business_account',
      entry: [{ id: '102290129340398', changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', messages: [message] } }] }],
    });
  },
});
