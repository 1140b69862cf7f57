// GitLab's two ways, each held to GitLab's documentation (https://docs.gitlab.com/user/project/integrations/webhooks/):
// a signing token is Standard Webhooks, signed here by the standardwebhooks library (the library GitLab's own change
// validates against, https://gitlab.com/gitlab-org/gitlab/-/merge_requests/230944); a secret token is the token itself
// in X-Gitlab-Token, which covers no body, so the body-tampering case of the suite does not apply to it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { keysFor, verifierSuite } from '../../../test/support/verifier-suite.ts';
import { signInput, webhookRequest } from '../../../test/support/webhook-request.ts';
import { gitlab } from './gitlab.ts';
import { parseSources } from './index.ts';

const NOW = 1_763_000_000;
const SIGNING = ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'whsec_bmV4dC1naXRsYWItc2lnbmluZy10b2tlbg=='] as [string, string];
const TOKENS = ['gitlab-secret-token', 'gitlab-next-token'];
const body = Buffer.from(JSON.stringify({ object_kind: 'push', ref: 'refs/heads/main', project: { id: 15 } }));
const options = { toleranceSeconds: 300 };
const verify = (headers: Record<string, string>, secrets: string[]) =>
  gitlab.verify(webhookRequest(headers, body), keysFor(gitlab, secrets), options, NOW);
/** Standard Webhooks headers, signed by the reference library. */
const signed = (secret: string, payload: Buffer = body, now = NOW, id = 'f5e5f430-f57b-4e6e-9fac-d9128cd7232f') => ({
  'webhook-id': id,
  'webhook-timestamp': String(now),
  'webhook-signature': new Webhook(secret).sign(id, new Date(now * 1000), payload),
});

verifierSuite({
  provider: gitlab,
  options,
  secrets: SIGNING,
  body,
  signer: "the standardwebhooks library's Webhook.sign (a signing token)",
  sign: (payload, secret, now) => signed(secret, payload, now),
  signatureHeader: 'webhook-signature',
  toleranceSeconds: 300,
});

test('gitlab: a secret token is accepted as sent, any of several during a rotation; another token, or none, is refused', () => {
  for (const token of TOKENS) assert.deepEqual(verify({ 'x-gitlab-token': token }, TOKENS), { ok: true }, token);
  assert.deepEqual(verify({ 'x-gitlab-token': 'gitlab-secret-tokem' }, TOKENS), { ok: false, reason: 'token mismatch' });
  assert.deepEqual(verify({ 'x-gitlab-token': 'gitlab-secret-token-and-more' }, TOKENS), { ok: false, reason: 'token mismatch' });
  assert.deepEqual(verify({}, TOKENS), { ok: false, reason: 'missing X-Gitlab-Token or webhook-signature header' });
});

test('gitlab: a request carrying webhook-signature must pass it, whatever X-Gitlab-Token says', () => {
  // GitLab sends both headers while both tokens are set: a good token never rescues a bad signature.
  const forged = { ...signed('whsec_c29tZW9uZS1lbHNlcy1zaWduaW5nLWtleQ=='), 'x-gitlab-token': TOKENS[0]! };
  assert.deepEqual(verify(forged, [SIGNING[0], TOKENS[0]!]), { ok: false, reason: 'signature mismatch' });
  const genuine = { ...signed(SIGNING[0]), 'x-gitlab-token': TOKENS[0]! };
  assert.deepEqual(verify(genuine, [SIGNING[0], TOKENS[0]!]), { ok: true });
});

test("gitlab: with signing tokens only, a token in X-Gitlab-Token cannot pass, not even the signing token's own text", () => {
  assert.equal(verify({ 'x-gitlab-token': SIGNING[0] }, [SIGNING[0]]).ok, false);
  assert.equal(verify({ 'x-gitlab-token': SIGNING[0].slice('whsec_'.length) }, [SIGNING[0]]).ok, false);
});

test('gitlab: a malformed signing token stops the start-up, naming the secret', () => {
  const sources = { sources: [{ name: 'gitlab', provider: 'gitlab', secrets: ['whsec_not base64!'] }] };
  assert.throws(() => parseSources(sources, {}), /sources\[0\]\.secrets\[0\].*GitLab signing token/s);
});

test('gitlab: the delivery id is Idempotency-Key, kept across retries, else X-Gitlab-Event-UUID; the type X-Gitlab-Event', () => {
  const headers = { 'idempotency-key': 'f5e5f430', 'x-gitlab-event-uuid': '13792a34', 'x-gitlab-event': 'Push Hook' };
  assert.deepEqual(
    gitlab.describe(webhookRequest(headers), () => ({})),
    { deliveryId: 'f5e5f430', eventType: 'Push Hook' },
  );
  assert.equal(gitlab.describe(webhookRequest({ 'x-gitlab-event-uuid': '13792a34' }), () => ({})).deliveryId, '13792a34');
});

test("gitlab: hookpipe's signer sends what the secret is: a token as is, a signing token as a signature", () => {
  // Signed now: the library checks the timestamp against the real clock.
  const input = signInput(body, Math.floor(Date.now() / 1000), 'f5e5f430');
  const byToken = gitlab.sign(input, TOKENS[0]!, options);
  assert.equal(byToken['x-gitlab-token'], TOKENS[0]);
  assert.equal(byToken['webhook-signature'], undefined);
  const bySigning = gitlab.sign(input, SIGNING[0], options);
  assert.equal(bySigning['x-gitlab-token'], undefined);
  assert.doesNotThrow(() => new Webhook(SIGNING[0]).verify(body, bySigning), 'verified by the standardwebhooks library');
});
