// Sentry integration platform: `Sentry-Hook-Signature: <hex HMAC-SHA256 of the raw body>` under the integration's
// client secret. `Request-ID` identifies the request and `Sentry-Hook-Resource` names the resource (issue, error,
// comment, event_alert, metric_alert, installation); the body's `action` says what happened to it. The
// `Sentry-Hook-Timestamp` header is not signed, so it is not checked: anyone could rewrite it to pass.
// https://docs.sentry.io/integrations/integration-platform/webhooks/
import { z } from 'zod';
import { type BodySignature, signBody, verifyBodySignature } from './body-signature.ts';
import { textAt } from './fields.ts';
import { jsonSample, randomHex } from './sample.ts';
import { defineProvider } from './types.ts';

const SIGNATURE: BodySignature = { header: 'sentry-hook-signature', label: 'Sentry-Hook-Signature', prefix: '', encoding: 'hex' };
const DEFAULT_EVENT = 'issue.created';

/** `issue.created` is resource `issue`, action `created`. */
function split(eventType: string): { resource: string; action: string } {
  const dot = eventType.indexOf('.');
  return dot < 0 ? { resource: eventType, action: 'created' } : { resource: eventType.slice(0, dot), action: eventType.slice(dot + 1) };
}

export const sentry = defineProvider({
  name: 'sentry',
  options: () => z.object({}).strict(),
  json: true,
  verify: (request, keys) => verifyBodySignature(request, keys, SIGNATURE),
  describe(request, payload) {
    const resource = request.headers.get('sentry-hook-resource') ?? undefined;
    const action = textAt(payload(), 'action');
    const eventType = resource && action ? `${resource}.${action}` : resource;
    return { deliveryId: request.headers.get('request-id') ?? undefined, eventType };
  },
  sign({ body, id, now, eventType }, secret) {
    return {
      ...signBody(body, secret, SIGNATURE),
      'request-id': id,
      'sentry-hook-resource': split(eventType ?? DEFAULT_EVENT).resource,
      'sentry-hook-timestamp': String(now),
    };
  },
  sample(now, eventType = DEFAULT_EVENT) {
    const { resource, action } = split(eventType);
    const issue = { id: String(now).slice(-7), shortId: 'HELLO-WORLD-3', title: 'TypeError: Cannot read properties of undefined' };
    return jsonSample(
      {
        action,
        installation: { uuid: '7a485448-a9e2-4c85-8a3c-4f44175783c9' },
        data: { [resource]: { ...issue, culprit: 'app/views/index.ts in get', level: 'error', status: 'unresolved' } },
        actor: { type: 'application', id: 'sentry', name: 'Sentry' },
        event_id: randomHex(16),
      },
      eventType,
    );
  },
});
