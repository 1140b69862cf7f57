// Meta (WhatsApp, Messenger, Instagram): a GET `hub.mode=subscribe&hub.verify_token=..&hub.challenge=..`
// handshake echoes the challenge when the verify token matches; POSTs are signed like GitHub's.
import { createHash } from 'node:crypto';
import { safeEqual } from './crypto.ts';
import { textAt } from './fields.ts';
import { hubSignature, verifyHubSignature } from './github.ts';
import type { Provider } from './types.ts';

const digest = (text: string) => createHash('sha256').update(text).digest();

export const meta: Provider<'meta'> = {
  name: 'meta',
  verify: (request, keys) => verifyHubSignature(request, keys),
  describe(_request, payload) {
    const body = payload();
    const object = textAt(body, 'object');
    const entries = (body as { entry?: Array<{ changes?: Array<{ field?: unknown }> }> } | null)?.entry;
    const field = Array.isArray(entries) ? entries[0]?.changes?.[0]?.field : undefined;
    return { eventType: object && typeof field === 'string' ? `${object}.${field}` : object };
  },
  handshake(request, _keys, options) {
    const query = request.url.searchParams;
    if (query.get('hub.mode') !== 'subscribe') return undefined;
    const challenge = query.get('hub.challenge') ?? '';
    const token = query.get('hub.verify_token') ?? '';
    // Hashing both sides makes the comparison constant-time whatever the lengths.
    if (options.verifyToken === undefined || challenge === '' || !safeEqual(digest(options.verifyToken), digest(token))) {
      return { status: 403, contentType: 'application/json', body: JSON.stringify({ error: { code: 'forbidden', message: 'verify token mismatch' } }) };
    }
    return { status: 200, contentType: 'text/plain; charset=utf-8', body: challenge };
  },
  sign({ body }, secret) {
    return hubSignature(body, secret);
  },
};
