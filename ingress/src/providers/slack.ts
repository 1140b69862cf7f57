// Slack: `X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:<X-Slack-Request-Timestamp>:<raw body>">`, 5 minute
// tolerance. The url_verification challenge is signed too, so it is answered only after verification. Zoom signs
// the same way under its own header names: the `v0` scheme below serves both (zoom.ts).
import { z } from 'zod';
import { toleranceSeconds } from '../../../shared/src/sources.ts';
import { type BodySignature, type SignedContent, signHeader, verifyHeaderSignature } from './body-signature.ts';
import { checkTimestamp, parseUnixSeconds } from './crypto.ts';
import { formFields, isForm, textAt } from './fields.ts';
import { jsonSample, randomToken } from './sample.ts';
import { defineProvider, type Verdict, type WebhookRequest } from './types.ts';

/** The `v0` scheme: `v0=` + hex HMAC-SHA256 of "v0:<timestamp>:<raw body>", the unix seconds in a header of their own. */
export interface V0Scheme {
  signature: BodySignature;
  /** Lower-case header name of the timestamp, and its usual spelling for messages. */
  timestampHeader: string;
  timestampLabel: string;
}

/** What a `v0` provider signs, for verify and sign alike: the timestamp as sent, then the body. */
export const v0Content = (timestamp: string, body: Buffer): SignedContent => [`v0:${timestamp}:`, body];

export function verifyV0(
  request: WebhookRequest,
  keys: readonly Buffer[],
  scheme: V0Scheme,
  toleranceSeconds: number,
  now: number,
): Verdict {
  const timestamp = request.headers.get(scheme.timestampHeader)?.trim();
  const fresh = checkTimestamp(parseUnixSeconds(timestamp), now, toleranceSeconds, `${scheme.timestampLabel} header`);
  if (!fresh.ok) return fresh;
  return verifyHeaderSignature(request, keys, scheme.signature, v0Content(timestamp!, request.body));
}

export function signV0(body: Buffer, secret: string, scheme: V0Scheme, now: number): Record<string, string> {
  return { [scheme.timestampHeader]: String(now), ...signHeader(secret, scheme.signature, v0Content(String(now), body)) };
}

const SLACK: V0Scheme = {
  signature: { header: 'x-slack-signature', label: 'X-Slack-Signature', prefix: 'v0=', encoding: 'hex' },
  timestampHeader: 'x-slack-request-timestamp',
  timestampLabel: 'X-Slack-Request-Timestamp',
};

export const slack = defineProvider({
  name: 'slack',
  options: () => z.object({ toleranceSeconds: toleranceSeconds.default(300) }).strict(),
  // Slash commands and interactivity post forms.
  json: false,
  verify: (request, keys, options, now) => verifyV0(request, keys, SLACK, options.toleranceSeconds, now),
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
  sign: ({ body, now }, secret) => signV0(body, secret, SLACK, now),
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
