// The registry and the sources schema it binds: every provider's own options, and the keys and templates that
// would make a signature meaningless refused at start-up, named by source and field.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadSources, PROVIDER_REGISTRY, parseSources } from './index.ts';

const refusal = (source: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) => {
  try {
    parseSources({ sources: [source] }, env);
  } catch (error) {
    return (error as Error).message;
  }
  assert.fail('the source was accepted');
};

test('each provider is registered under its own name', () => {
  for (const [name, provider] of Object.entries(PROVIDER_REGISTRY)) assert.equal(provider.name, name);
});

test('the shipped local sources file is valid with no environment: its secrets are inline', () => {
  assert.ok(loadSources('config/sources.local.yaml', {}).length > 0);
});

test("each provider's options and JSON default are its own", () => {
  const [stripe, github, token, x] = parseSources({
    sources: [
      { name: 'stripe', provider: 'stripe', secrets: ['a'] },
      { name: 'gh', provider: 'github', secrets: ['b'] },
      { name: 'tok', provider: 'token', secrets: ['c'] },
      { name: 'x', provider: 'x', secrets: ['d'] },
    ],
  });
  assert.deepEqual([stripe!.json, github!.json, token!.json, x!.json], [true, false, false, true]);
  assert.deepEqual(stripe!.options, { toleranceSeconds: 300 });
  assert.deepEqual(token!.options, { header: 'secret', prefix: '' });
});

test("Meta's verify token is a secret reference resolved from the environment", () => {
  const source = { name: 'wa', provider: 'meta', secrets: ['s'], options: { verifyToken: { env: 'VT' } } };
  const [meta] = parseSources({ sources: [source] }, { VT: 'vt-1' });
  assert.equal(meta!.provider === 'meta' && meta!.options.verifyToken, 'vt-1');
  assert.match(refusal(source), /sources\[0\]\.options\.verifyToken: environment variable VT is not set/);
});

test('a Standard Webhooks secret that decodes to nothing is refused, named by its place; a real one is accepted', () => {
  const REAL = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  for (const secret of ['whsec_', 'whsec_!!!!', 'whsec_ab!c', '$$$$']) {
    const message = refusal({ name: 'svix', provider: 'standard-webhooks', secrets: [REAL, secret] });
    assert.match(message, /sources\[0\]\.secrets\[1\]: this secret gives an empty HMAC key, which would accept any signature/, secret);
    assert.match(message, /"whsec_" followed by base64/);
    if (secret !== 'whsec_') assert.ok(!message.includes(secret), 'the secret is not printed');
  }
  const viaEnv = refusal({ name: 'svix', provider: 'standard-webhooks', secrets: [{ env: 'SVIX' }] }, { SVIX: `${REAL}\nwhsec_` });
  assert.match(viaEnv, /sources\[0\]\.secrets\[0\]: this secret gives an empty HMAC key/);
  const [svix] = parseSources({ sources: [{ name: 'svix', provider: 'standard-webhooks', secrets: [REAL] }] });
  assert.equal(svix!.keys[0]!.length, 24);
});

test('an hmac source that checks a timestamp it does not sign is refused, and the converse too', () => {
  const hmac = (options: object) => ({ name: 'p', provider: 'hmac', secrets: ['k'], options: { header: 'x', ...options } });
  const cases: Array<[object, RegExp]> = [
    [{ timestampHeader: 'x-ts', signedContent: '{body}' }, /\.options\.signedContent: must contain \{timestamp\} when timestampHeader/],
    [{ signedContent: '{timestamp}.{body}' }, /\.options\.timestampHeader: required when signedContent uses \{timestamp\}/],
    [{ signedContent: '{timestamp}', timestampHeader: 'x-ts' }, /\.options\.signedContent: must contain \{body\}/],
    [{ publicUrl: 'https://h.example/p' }, /\.options\.publicUrl: only used by a signedContent with \{url\}/],
  ];
  for (const [options, problem] of cases) assert.match(refusal(hmac(options)), new RegExp(`sources\\[0\\]${problem.source}`));
  const [ok] = parseSources({ sources: [hmac({ timestampHeader: 'x-ts', signedContent: '{timestamp}.{body}' })] });
  assert.equal(ok!.provider, 'hmac');
});
