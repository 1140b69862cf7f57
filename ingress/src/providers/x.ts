// X (Twitter) Account Activity: GET `?crc_token=` is answered with
// `{"response_token":"sha256=<base64 HMAC-SHA256(consumer secret, crc_token)>"}`; POSTs carry
// `x-twitter-webhooks-signature: sha256=<base64 HMAC-SHA256 of the body>`.
import { signBody, verifyBodySignature, type BodySignature } from './body-signature.ts';
import { hmac } from './crypto.ts';
import type { Provider } from './types.ts';

const SIGNATURE: BodySignature = { header: 'x-twitter-webhooks-signature', label: 'x-twitter-webhooks-signature', prefix: 'sha256=', encoding: 'base64' };

export const x: Provider<'x'> = {
  name: 'x',
  verify: (request, keys) => verifyBodySignature(request, keys, SIGNATURE),
  describe(_request, payload) {
    const body = payload();
    if (body === null || typeof body !== 'object') return {};
    return { eventType: Object.keys(body).find((key) => key.endsWith('_events')) };
  },
  handshake(request, keys) {
    const token = request.url.searchParams.get('crc_token');
    if (token === null) return undefined;
    // The CRC answer proves the current consumer secret: the first one listed.
    const responseToken = `sha256=${hmac('sha256', keys[0]!, token).toString('base64')}`;
    return { status: 200, contentType: 'application/json', body: JSON.stringify({ response_token: responseToken }) };
  },
  sign: ({ body }, secret) => signBody(body, secret, SIGNATURE),
};
