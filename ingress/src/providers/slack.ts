// Slack: `X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:<X-Slack-Request-Timestamp>:<raw body>">`, 5 minute
// tolerance. The url_verification challenge is signed too, so it is answered only after verification.
import { z } from 'zod';
import { toleranceSeconds } from '../../../shared/src/sources.ts';
import { anyKeyMatches, decodeSignature, hmac, parseUnixSeconds, withinTolerance } from './crypto.ts';
import { formFields, isForm, textAt } from './fields.ts';
import { jsonSample, randomToken } from './sample.ts';
import { defineProvider, fail, OK } from './types.ts';

/** What Slack signs, for verify and sign alike. */
const signedContent = (timestamp: number, body: Buffer) => [`v0:${timestamp}:`, body];

export const slack = defineProvider({
  name: 'slack',
  options: () => z.object({ toleranceSeconds: toleranceSeconds.default(300) }).strict(),
  // Slash commands and interactivity post forms.
  json: false,
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
    const content = signedContent(timestamp, request.body);
    return anyKeyMatches(keys, [signature], (key) => hmac('sha256', key, ...content)) ? OK : fail('signature mismatch');
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
          // A signed form whose payload is not JSON is still an event: published without an id or type of its own.
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
  // Outside the rule for handshakes that compute with a secret (handshake.ts): it runs only after the POST carrying
  // it passed Slack's signature, and it echoes the challenge, computing nothing with the signing secret.
  challenge(payload) {
    const challenge = textAt(payload, 'challenge');
    if (textAt(payload, 'type') !== 'url_verification' || challenge === undefined) return undefined;
    return { status: 200, contentType: 'application/json', body: JSON.stringify({ challenge }) };
  },
  sign({ body, now }, secret) {
    return {
      'x-slack-request-timestamp': String(now),
      'x-slack-signature': `v0=${hmac('sha256', secret, ...signedContent(now, body)).toString('hex')}`,
    };
  },
  sample(now, eventType = 'app_mention') {
    return jsonSample({
      token: 'unused',
      team_id: 'T0001',
      api_app_id: 'A0001',
      type: 'event_callback',
      event_id: `Ev${randomToken(10).toUpperCase()}`,
      event_time: now,
      event: { type: eventType, user: 'U0001', text: '<@U0002> hello', channel: 'C0001', ts: `${now}.000100` },
    });
  },
});
