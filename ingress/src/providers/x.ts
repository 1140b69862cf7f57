// X (Twitter) Account Activity: GET `?crc_token=` is answered with
// `{"response_token":"sha256=<base64 HMAC-SHA256(consumer secret, crc_token)>"}`; POSTs carry
// `x-twitter-webhooks-signature: sha256=<base64 HMAC-SHA256 of the body>`.
import { anyKeyMatches, decodeSignature, hmac } from './crypto.ts';
import { fail, OK, type Provider } from './types.ts';

export const x: Provider<'x'> = {
  name: 'x',
  verify(request, keys) {
    const header = request.headers.get('x-twitter-webhooks-signature');
    if (!header) return fail('missing x-twitter-webhooks-signature header');
    if (!header.startsWith('sha256=')) return fail('x-twitter-webhooks-signature is not a sha256 signature');
    const signature = decodeSignature(header.slice('sha256='.length), 'base64');
    if (!signature) return fail('x-twitter-webhooks-signature is not base64');
    return anyKeyMatches(keys, [signature], (key) => hmac('sha256', key, request.body)) ? OK : fail('signature mismatch');
  },
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
  sign({ body }, secret) {
    return { 'x-twitter-webhooks-signature': `sha256=${hmac('sha256', secret, body).toString('base64')}` };
  },
};
