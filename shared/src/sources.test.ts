// The sources file's generic schema, with a registry of stand-in providers: what every source has (names, limits,
// secrets and their keys, metadata rules), and the file around them. The real providers' options are tested with
// the registry that binds them (ingress/src/providers/index.test.ts).
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { z } from 'zod';
import { ConfigError } from './errors.ts';
import { defineSources, singleSecret, toleranceSeconds } from './sources.ts';

const BASE64_AFTER_PREFIX = /^k_([A-Za-z0-9+/]*={0,2})$/;
const { parseSources, loadSources } = defineSources({
  plain: { options: () => z.object({}).strict(), json: false },
  timed: { options: () => z.object({ toleranceSeconds: toleranceSeconds.default(300) }).strict(), json: true },
  keyed: {
    options: (env: NodeJS.ProcessEnv) => z.object({ token: singleSecret(env).optional() }).strict(),
    json: true,
    key: (secret: string) => Buffer.from(BASE64_AFTER_PREFIX.exec(secret)?.[1] ?? '', 'base64'),
    keyFormat: '"k_" then base64',
  },
});

test('defaults are filled in: body limit, JSON requirement per provider, provider options', () => {
  const [timed, plain, overridden] = parseSources({
    sources: [
      { name: 'timed', provider: 'timed', secrets: ['a'] },
      { name: 'plain', provider: 'plain', secrets: ['b'], maxBodyBytes: '2mb' },
      { name: 'over', provider: 'timed', secrets: ['c'], json: false, options: { toleranceSeconds: 60 } },
    ],
  });
  assert.equal(timed!.maxBodyBytes, 1024 * 1024);
  assert.equal(timed!.json, true);
  assert.deepEqual(timed!.options, { toleranceSeconds: 300 });
  assert.equal(plain!.maxBodyBytes, 2 * 1024 * 1024);
  assert.equal(plain!.json, false);
  assert.equal(overridden!.json, false);
  assert.deepEqual(overridden!.options, { toleranceSeconds: 60 });
});

test('secrets come inline or from environment variables, several per variable (one per line), without duplicates', () => {
  const [source] = parseSources(
    { sources: [{ name: 's', provider: 'plain', secrets: [{ env: 'GH_SECRET' }, 'inline', { value: 'inline' }] }] },
    { GH_SECRET: 'current\n  next  \n\n' },
  );
  assert.deepEqual(source!.secrets, ['current', 'next', 'inline']);
  assert.deepEqual(
    source!.keys,
    ['current', 'next', 'inline'].map((secret) => Buffer.from(secret)),
  );
});

test("keys are derived once by the provider's own rule, in the secrets' order", () => {
  const [source] = parseSources({ sources: [{ name: 'k', provider: 'keyed', secrets: ['k_AQID', { env: 'K' }] }] }, { K: 'k_BAU=' });
  assert.deepEqual(source!.keys, [Buffer.from([1, 2, 3]), Buffer.from([4, 5])]);
});

test('a secret whose key has zero bytes is refused at its place in the file, without printing it', () => {
  const attempt = () =>
    parseSources(
      {
        sources: [
          { name: 'ok', provider: 'keyed', secrets: ['k_AQID'] },
          { name: 'k', provider: 'keyed', secrets: ['k_AQID', { env: 'K' }] },
        ],
      },
      { K: 'k_AQID\nk_' },
    );
  assert.throws(attempt, (error: Error) => {
    assert.match(error.message, /sources\[1\]\.secrets\[1\]: this secret gives an empty HMAC key, which would accept any signature/);
    assert.match(error.message, /\("k_" then base64\)/);
    assert.doesNotMatch(error.message, /sources\[0\]|AQID/);
    return true;
  });
});

test('a secret-valued option is resolved from the environment, and its absence named', () => {
  const document = { sources: [{ name: 'k', provider: 'keyed', secrets: ['k_AQID'], options: { token: { env: 'TOKEN' } } }] };
  const [source] = parseSources(document, { TOKEN: 't0k' });
  assert.deepEqual(source!.options, { token: 't0k' });
  assert.throws(() => parseSources(document, {}), /sources\[0\]\.options\.token: environment variable TOKEN is not set/);
});

test('problems are reported with their path, all at once, and never with secret values', () => {
  const attempt = () =>
    parseSources(
      {
        sources: [
          { name: 'Bad Name', provider: 'timed', secrets: ['whsec_do_not_print'] },
          { name: 'ok', provider: 'nope', secrets: ['x'] },
          { name: 'gh', provider: 'plain', secrets: [{ env: 'MISSING_SECRET' }] },
          { name: 'gh', provider: 'plain', secrets: ['y'], maxBodyBytes: '50mb' },
          { name: 't', provider: 'timed', secrets: ['z'], options: { toleranceSeconds: 0 } },
        ],
      },
      {},
      'sources.yaml',
    );
  assert.throws(attempt, ConfigError);
  assert.throws(attempt, (error: Error) => {
    const message = error.message;
    assert.match(message, /^sources\.yaml is not valid:/);
    assert.match(message, /sources\[0\]\.name: lower-case letters/);
    assert.match(message, /sources\[1\]\.provider/);
    assert.match(message, /sources\[2\]\.secrets\[0\]: environment variable MISSING_SECRET is not set/);
    assert.match(message, /sources\[3\]\.maxBodyBytes: at most 9500000 bytes/);
    assert.match(message, /sources\[4\]\.options\.toleranceSeconds/);
    assert.doesNotMatch(message, /whsec_do_not_print/);
    return true;
  });
});

test('duplicate names, unknown fields and an empty list are refused', () => {
  assert.throws(() => parseSources({ sources: [] }), /declare at least one source/);
  assert.throws(
    () =>
      parseSources({
        sources: [
          { name: 'a', provider: 'plain', secrets: ['x'] },
          { name: 'a', provider: 'plain', secrets: ['y'] },
        ],
      }),
    /sources\[1\]\.name: duplicate source name "a"/,
  );
  assert.throws(() => parseSources({ sources: [{ name: 'a', provider: 'plain', secrets: ['x'], secret: 'typo' }] }), /Unrecognized key/);
  const noSecret = { sources: [{ name: 'a', provider: 'plain', secrets: [] }] };
  assert.throws(() => parseSources(noSecret), /sources\[0\]\.secrets: at least one secret/);
});

test('files are read as YAML or JSON, and an unreadable or unparsable file says so', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sources-'));
  writeFileSync(join(dir, 's.json'), JSON.stringify({ sources: [{ name: 'a', provider: 'plain', secrets: ['x'] }] }));
  writeFileSync(join(dir, 's.yaml'), 'sources:\n  - { name: b, provider: timed, secrets: [y] }\n');
  writeFileSync(join(dir, 'bad.yaml'), 'sources: [\n');
  assert.equal(loadSources(join(dir, 's.json'), {})[0]!.name, 'a');
  assert.equal(loadSources(join(dir, 's.yaml'), {})[0]!.provider, 'timed');
  assert.throws(() => loadSources(join(dir, 'bad.yaml'), {}), /cannot parse the sources file/);
  assert.throws(() => loadSources(join(dir, 'none.yaml'), {}), /cannot read the sources file .*ENOENT/);
});
