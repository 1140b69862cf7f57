// Slack: `X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:<X-Slack-Request-Timestamp>:<raw body>">`, 5 minute
// tolerance. The url_verification challenge is signed too, so it is answered only after verification.
import { anyKeyMatches, decodeSignature, hmac, parseUnixSeconds, withinTolerance } from './crypto.ts';
import { formFields, isForm, textAt } from './fields.ts';
import { fail, OK, type Provider } from './types.ts';

export const slack: Provider<'slack'> = {
  name: 'slack',
  verify(request, keys, options, now) {
    const header = request.headers.get('x-slack-signature');
    const timestampHeader = request.headers.get('x-slack-request-timestamp');
    if (!header) return fail('missing X-Slack-Signature header');
    const timestamp = parseUnixSeconds(timestampHeader);
    if (timestamp === undefined) return fail('missing or malformed X-Slack-Request-Timestamp header');
    if (!withinTolerance(timestamp, now, options.toleranceSeconds)) return fail('timestamp outside the tolerance');
    if (!header.startsWith('v0=')) return fail('X-Slack-Signature is not a v0 signature');
    const signature = decodeSignature(header.slice(3), 'hex');
    if (!signature) return fail('X-Slack-Signature is not hex');
    const matched = anyKeyMatches(keys, [signature], (key) => hmac('sha256', key, `v0:${timestamp}:`, request.body));
    return matched ? OK : fail('signature mismatch');
  },
  describe(request, payload) {
    if (isForm(request.headers)) {
      // Slash commands and interactivity post forms; interactivity wraps its JSON in a `payload` field.
      const fields = new Map(formFields(request.body));
      const inner = fields.get('payload');
      if (inner !== undefined) {
        try {
          const parsed: unknown = JSON.parse(inner);
          return { eventType: textAt(parsed, 'type'), deliveryId: textAt(parsed, 'trigger_id') };
        } catch {
          return {};
        }
      }
      return { eventType: fields.has('command') ? 'slash_command' : undefined, deliveryId: fields.get('trigger_id') };
    }
    const body = payload();
    return {
      deliveryId: textAt(body, 'event_id'),
      eventType: textAt(body, 'type') === 'event_callback' ? (textAt(body, 'event', 'type') ?? 'event_callback') : textAt(body, 'type'),
    };
  },
  challenge(payload) {
    const challenge = textAt(payload, 'challenge');
    if (textAt(payload, 'type') !== 'url_verification' || challenge === undefined) return undefined;
    return { status: 200, contentType: 'application/json', body: JSON.stringify({ challenge }) };
  },
  sign({ body, now }, secret) {
    return {
      'x-slack-request-timestamp': String(now),
      'x-slack-signature': `v0=${hmac('sha256', secret, `v0:${now}:`, body).toString('hex')}`,
    };
  },
};
