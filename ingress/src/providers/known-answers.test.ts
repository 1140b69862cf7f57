// Known-answer tests: each provider's own published example (a secret, a request and the signature its documentation
// or its official library's test suite shows) run through the registry the way the ingress runs it. The other verifier
// tests sign with a re-implementation written from our reading of the docs, which shares any misreading; these values
// come from the provider, so a wrong signed-content layout, encoding, prefix or header name fails here.
// Only values are taken from the cited pages, never code. Not found anywhere: a Meta POST signature example (Meta's
// page shows `sha256={super-long-SHA256-signature}`) and an X CRC pair (X's page shows a response_token without the
// consumer secret that made it), so Meta is held to its documented handshake sample and X to its POST fixtures.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type BoundProvider, bindProvider, type ProviderName, parseSources } from './index.ts';
import type { WebhookRequest } from './types.ts';

interface KnownAnswer {
  provider: ProviderName;
  /** What the example is, for the test names. */
  label: string;
  /** Where the values are published. */
  source: string;
  secret: string;
  /** As written in a sources file; the sources schema parses them, defaults included, as at start-up. */
  options?: Record<string, unknown>;
  /** Unix seconds: the example's own timestamp where it signs one, so that the tolerance window holds. */
  now?: number;
  /** The URL the provider called (Twilio signs it); others' signatures do not depend on it. */
  url?: string;
  headers: Record<string, string>;
  body: string;
  /** The delivery id the example signs (Standard Webhooks), for `sign()`. */
  id?: string;
  /** Headers `sign()` must reproduce; absent when the example is not one `sign()` makes (a port spelled out). */
  signs?: Record<string, string>;
}

const FORM = 'application/x-www-form-urlencoded';
const JSON_TYPE = 'application/json';
const ANY_URL = 'https://hooks.example.com/webhooks/known-answer';

/**
 * The provider as the ingress holds it for a source: the sources file parsed by the registry's schema (options with
 * their defaults, keys derived from the secrets), then bound (ingest.ts calls `bindProvider` the same way).
 */
function configured(provider: ProviderName, secret: string, options: Record<string, unknown> = {}): BoundProvider {
  const [source] = parseSources({ sources: [{ name: 'known-answer', provider, secrets: [secret], options }] }, {});
  assert.ok(source);
  return bindProvider(source);
}

/** The headers of an example whose published signature headers are all `sign()` must reproduce. */
function published(contentType: string, signs: Record<string, string>): Pick<KnownAnswer, 'headers' | 'signs'> {
  return { headers: { 'content-type': contentType, ...signs }, signs };
}

function verify(example: KnownAnswer, body: Buffer) {
  const request: WebhookRequest = { method: 'POST', url: new URL(example.url ?? ANY_URL), headers: new Headers(example.headers), body };
  return configured(example.provider, example.secret, example.options).verify(request, example.now ?? 0);
}

function knownAnswer(example: KnownAnswer): void {
  const name = `${example.provider}: ${example.label}`;
  const body = Buffer.from(example.body, 'utf8');

  test(`${name}: the published signature is accepted`, () => {
    assert.deepEqual(verify(example, body), { ok: true });
  });

  test(`${name}: the same request with one body byte changed is refused`, () => {
    const tampered = Buffer.from(body);
    tampered[Math.floor(tampered.length / 2)]! ^= 0x01;
    assert.equal(verify(example, tampered).ok, false);
  });

  const expected = example.signs;
  if (expected === undefined) return;
  test(`${name}: sign() reproduces the published signature`, () => {
    const signed = configured(example.provider, example.secret, example.options).sign({
      body,
      url: new URL(example.url ?? ANY_URL),
      now: example.now ?? 0,
      id: example.id ?? 'known-answer',
      contentType: example.headers['content-type'] ?? JSON_TYPE,
    });
    assert.deepEqual(Object.fromEntries(Object.keys(expected).map((header) => [header, signed[header]])), expected);
  });
}

// GitHub, "Testing the webhook payload validation".
const GITHUB_SIGNATURE = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';
knownAnswer({
  provider: 'github',
  label: 'documented test values',
  source: 'https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries',
  secret: "It's a Secret to Everybody",
  ...published(JSON_TYPE, { 'x-hub-signature-256': GITHUB_SIGNATURE }),
  body: 'Hello, World!',
});

// Slack's walk-through of a slash command; python-slack-sdk's tests use the same values and cite the page.
const SLACK_TIMESTAMP = 1531420618;
const SLACK_SIGNATURE = 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503';
knownAnswer({
  provider: 'slack',
  label: 'documented slash command',
  source:
    'https://docs.slack.dev/authentication/verifying-requests-from-slack/ and ' +
    'https://github.com/slackapi/python-slack-sdk/blob/HEAD/tests/slack_sdk/signature/test_signature_verifier.py',
  secret: '8f742231b10e8888abcd99yyyzzz85a5',
  now: SLACK_TIMESTAMP,
  ...published(FORM, { 'x-slack-request-timestamp': String(SLACK_TIMESTAMP), 'x-slack-signature': SLACK_SIGNATURE }),
  body:
    'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar' +
    '&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com' +
    '%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN' +
    '&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c',
});

// Shopify's @shopify/shopify-api validates this body under its test config's apiSecretKey and reports this HMAC.
const SHOPIFY_HMAC = 'B23tXN681gZ0qIWNRrgtzBE9XSDo5yaUu6wfmhu3a7g=';
knownAnswer({
  provider: 'shopify',
  label: "shopify-api's webhook validation fixture",
  source:
    'https://github.com/Shopify/shopify-app-js/blob/HEAD/packages/apps/shopify-api/lib/webhooks/__tests__/validate.test.ts ' +
    'with apiSecretKey from ../../__tests__/test-config.ts',
  secret: 'test_secret_key',
  ...published(JSON_TYPE, { 'x-shopify-hmac-sha256': SHOPIFY_HMAC }),
  body: '{"foo": "bar"}',
});

// X's own webhook library (xdevplatform/autohook) checks its fixtures under the consumer secret "test". Of its two, the
// form body is left out: X delivers JSON objects, and x.ts refuses any other body before the signature, so that no
// CRC answer can pass for a POST signature (handshake.ts).
const X_SIGNATURE = 'sha256=YWHphPn/JFq43jkF0y4/w8R/SelmLjvpunhVFY8JhlI=';
knownAnswer({
  provider: 'x',
  label: "autohook's JSON fixture",
  source: 'https://github.com/xdevplatform/autohook/blob/HEAD/test/signature.js',
  secret: 'test',
  ...published(JSON_TYPE, { 'x-twitter-webhooks-signature': X_SIGNATURE }),
  body: '{"test_number":1,"test_string":"two"}',
});

// Twilio's worked example ("Explore the algorithm yourself"): the fields in the order the page lists them, so the
// verifier's sorting is part of what is checked.
const TWILIO_DOCS_SIGNATURE = 'L/OH5YylLD5NRKLltdqwSvS0BnU=';
knownAnswer({
  provider: 'twilio',
  label: 'documented worked example',
  source: 'https://www.twilio.com/docs/usage/security',
  secret: '12345',
  url: 'https://example.com/myapp.php?foo=1&bar=2',
  ...published(FORM, { 'x-twilio-signature': TWILIO_DOCS_SIGNATURE }),
  body: new URLSearchParams([
    ['Digits', '1234'],
    ['To', '+18005551212'],
    ['From', '+14158675310'],
    ['Caller', '+14158675310'],
    ['CallSid', 'CA1234567890ABCDE'],
  ]).toString(),
});

// twilio-python's RequestValidator tests: one form, the same form signed over the URL with its default port spelled
// out (Twilio's libraries accept both), and a JSON body carried by bodySHA256.
const TWILIO_PYTHON = 'https://github.com/twilio/twilio-python/blob/HEAD/tests/unit/test_request_validator.py';
const TWILIO_PYTHON_URL = 'https://mycompany.com/myapp.php?foo=1&bar=2';
const TWILIO_PYTHON_FORM = new URLSearchParams([
  ['CallSid', 'CA1234567890ABCDE'],
  ['Digits', '1234'],
  ['From', '+14158675309'],
  ['To', '+18005551212'],
  ['Caller', '+14158675309'],
]).toString();
const TWILIO_PYTHON_SIGNATURE = 'RSOYDt4T1cUTdK1PDd93/VVr8B8=';
const TWILIO_JSON_URL = `${TWILIO_PYTHON_URL}&bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620`;
const TWILIO_JSON_SIGNATURE = 'a9nBmqA0ju/hNViExpshrM61xv4=';
knownAnswer({
  provider: 'twilio',
  label: "twilio-python's form",
  source: TWILIO_PYTHON,
  secret: '12345',
  url: TWILIO_PYTHON_URL,
  ...published(FORM, { 'x-twilio-signature': TWILIO_PYTHON_SIGNATURE }),
  body: TWILIO_PYTHON_FORM,
});
knownAnswer({
  provider: 'twilio',
  label: "twilio-python's form signed over https with :443",
  source: TWILIO_PYTHON,
  secret: '12345',
  url: TWILIO_PYTHON_URL,
  headers: { 'content-type': FORM, 'x-twilio-signature': 'kvajT1Ptam85bY51eRf/AJRuM3w=' },
  body: TWILIO_PYTHON_FORM,
});
knownAnswer({
  provider: 'twilio',
  label: "twilio-python's form signed over http with :80",
  source: TWILIO_PYTHON,
  secret: '12345',
  url: TWILIO_PYTHON_URL.replace('https:', 'http:'),
  headers: { 'content-type': FORM, 'x-twilio-signature': '0ZXoZLH/DfblKGATFgpif+LLRf4=' },
  body: TWILIO_PYTHON_FORM,
});
knownAnswer({
  provider: 'twilio',
  label: "twilio-python's JSON body with bodySHA256",
  source: TWILIO_PYTHON,
  secret: '12345',
  url: TWILIO_JSON_URL,
  ...published(JSON_TYPE, { 'x-twilio-signature': TWILIO_JSON_SIGNATURE }),
  body: '{"property": "value", "boolean": true}',
});

// stripe-dotnet's EventUtility tests: its event_test_signature.json fixture (two-space JSON ending in a newline, as
// rebuilt here) signed at t=1533204620 under "webhook_secret"; the header also carries a v0, which is ignored.
const STRIPE_TIMESTAMP = 1533204620;
const STRIPE_V1 = `t=${STRIPE_TIMESTAMP},v1=2220f87ef101a04665f11cdf770523143f875572008577fa0f20882ddb9cc3c7`;
const STRIPE_EVENT = {
  id: 'evt_123',
  object: 'event',
  account: 'acct_123',
  api_version: '2017-05-25',
  created: 1533204620,
  data: { object: { id: 'cus_123', object: 'customer', created: 123456789, email: 'test@stripe.com', livemode: false, metadata: {} } },
  livemode: false,
  pending_webhooks: 1,
  request: { id: 'req_123', idempotency_key: 'idempotency-key-123' },
  type: 'customer.created',
};
knownAnswer({
  provider: 'stripe',
  label: "stripe-dotnet's signed event fixture",
  source: 'https://github.com/stripe/stripe-dotnet/blob/HEAD/src/StripeTests/Services/Events/EventUtilityTest.cs',
  secret: 'webhook_secret',
  now: STRIPE_TIMESTAMP,
  headers: {
    'content-type': JSON_TYPE,
    'stripe-signature': `${STRIPE_V1},v0=63f3a72374a733066c4be69ed7f8e5ac85c22c9f0a6a612ab9a025a9e4ee7eef`,
  },
  body: `${JSON.stringify(STRIPE_EVENT, null, 2)}\n`,
  signs: { 'stripe-signature': STRIPE_V1 },
});

// The Standard Webhooks reference library's "sign function works" test.
const STANDARD_WEBHOOKS_ID = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
const STANDARD_WEBHOOKS_TIMESTAMP = 1614265330;
const STANDARD_WEBHOOKS_SIGNATURE = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=';
knownAnswer({
  provider: 'standard-webhooks',
  label: "the reference library's signing example",
  source: 'https://github.com/standard-webhooks/standard-webhooks/blob/HEAD/libraries/javascript/src/webhook.test.ts',
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  now: STANDARD_WEBHOOKS_TIMESTAMP,
  id: STANDARD_WEBHOOKS_ID,
  ...published(JSON_TYPE, {
    'webhook-id': STANDARD_WEBHOOKS_ID,
    'webhook-timestamp': String(STANDARD_WEBHOOKS_TIMESTAMP),
    'webhook-signature': STANDARD_WEBHOOKS_SIGNATURE,
  }),
  body: '{"test": 2432232314}',
});

// Meta's "Sample Verification Request": hub.challenge 1158201444 under the verify token "meatyhamhock",
// https://developers.facebook.com/docs/graph-api/webhooks/getting-started
test('meta: the documented verification request is echoed under its verify token and refused under another', () => {
  const request: WebhookRequest = {
    method: 'GET',
    url: new URL(
      'https://www.your-clever-domain-name.com/webhooks?hub.mode=subscribe&hub.challenge=1158201444' + '&hub.verify_token=meatyhamhock',
    ),
    headers: new Headers(),
    body: Buffer.alloc(0),
  };
  const answer = (verifyToken: string) => configured('meta', 'meta-app-secret', { verifyToken }).handshake?.(request);
  const accepted = answer('meatyhamhock');
  assert.deepEqual(accepted && { status: accepted.status, body: accepted.body }, { status: 200, body: '1158201444' });
  assert.equal(answer('another-verify-token')?.status, 403);
});
