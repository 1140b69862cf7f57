// GitLab authenticates a webhook one of two ways, and the secret configured says which:
// - a secret token (any GitLab): `X-Gitlab-Token` carries the token itself, compared in constant time with every
//   configured secret. It covers neither the body nor the time, which is why GitLab no longer recommends it;
// - a signing token (`whsec_` and base64; recent GitLab, and what GitLab recommends for new webhooks): Standard Webhooks,
//   `webhook-signature: v1,<base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<body>">`, `webhook-id` being the
//   delivery's Idempotency-Key. Verified as standard-webhooks.ts does, with its tolerance.
// A request carrying `webhook-signature` must pass it (GitLab sends both while both tokens are set, so a bad signature
// is never rescued by a good token); one without it must pass `X-Gitlab-Token`. Checking a token against a signing
// token's key cannot succeed (GitLab never sends that key), so a source with signing tokens only accepts signatures
// only. The delivery id is `Idempotency-Key`, the same across GitLab's retries (GitLab 17.4), else
// `X-Gitlab-Event-UUID`; the event type is `X-Gitlab-Event` (`Push Hook`).
// https://docs.gitlab.com/user/project/integrations/webhooks/ (Signing tokens, Secret tokens, Delivery headers)
// https://gitlab.com/gitlab-org/gitlab/-/merge_requests/230944 (the signing token's scheme)
import { z } from 'zod';
import { toleranceSeconds } from '../../../shared/src/sources.ts';
import { jsonSample, randomHex } from './sample.ts';
import { signStandardWebhooks, standardWebhooksKey, verifyStandardWebhooks } from './standard-webhooks.ts';
import { tokenMatches } from './token.ts';
import { defineProvider, fail, OK } from './types.ts';

const isSigningToken = (secret: string) => secret.startsWith('whsec_');
const DEFAULT_EVENT = 'Push Hook';

export const gitlab = defineProvider({
  name: 'gitlab',
  options: () => z.object({ toleranceSeconds: toleranceSeconds.default(300) }).strict(),
  json: true,
  key: (secret) => (isSigningToken(secret) ? standardWebhooksKey(secret) : Buffer.from(secret, 'utf8')),
  keyFormat: 'a GitLab signing token is "whsec_" followed by base64; any other secret is a secret token',
  verify(request, keys, options, now) {
    if (request.headers.get('webhook-signature') !== null) return verifyStandardWebhooks(request, keys, options.toleranceSeconds, now);
    const token = request.headers.get('x-gitlab-token');
    if (!token) return fail('missing X-Gitlab-Token or webhook-signature header');
    return tokenMatches(keys, token) ? OK : fail('token mismatch');
  },
  describe: (request) => ({
    deliveryId: request.headers.get('idempotency-key') ?? request.headers.get('x-gitlab-event-uuid') ?? undefined,
    eventType: request.headers.get('x-gitlab-event') ?? undefined,
  }),
  sign({ body, now, id, eventType }, secret) {
    const auth = isSigningToken(secret) ? signStandardWebhooks(body, secret, id, now) : { 'x-gitlab-token': secret };
    return { ...auth, 'idempotency-key': id, 'x-gitlab-event-uuid': id, 'x-gitlab-event': eventType ?? DEFAULT_EVENT };
  },
  sample(_now, eventType = DEFAULT_EVENT) {
    const [before, after] = [randomHex(20), randomHex(20)];
    const project = { id: 15, name: 'Diaspora', path_with_namespace: 'mike/diaspora', web_url: 'https://gitlab.example.com/mike/diaspora' };
    const commit = { id: after, message: 'Fix the flux capacitor', author: { name: 'Jordi Mallach', email: 'jordi@example.com' } };
    const push = { object_kind: 'push', before, after, ref: 'refs/heads/main', checkout_sha: after, user_username: 'jsmith' };
    return jsonSample({ ...push, project, commits: [commit] }, eventType);
  },
});
