import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError } from './errors.ts';
import { loadSources, parseSources } from './sources.ts';

test('the shipped local sources file is valid and declares every provider', () => {
  const sources = loadSources('config/sources.local.yaml', {});
  const providers = new Set(sources.map((s) => s.provider));
  for (const provider of ['stripe', 'github', 'slack', 'shopify', 'standard-webhooks', 'meta', 'twilio', 'x', 'hmac', 'token']) {
    assert.ok(providers.has(provider as never), provider);
  }
});

test('defaults are filled in: body limit, JSON requirement per provider, provider options', () => {
  const [stripe, github, token] = parseSources({
    sources: [
      { name: 'stripe', provider: 'stripe', secrets: ['a'] },
      { name: 'gh', provider: 'github', secrets: ['b'], maxBodyBytes: '2mb' },
      { name: 'tok', provider: 'token', secrets: ['c'] },
    ],
  });
  assert.equal(stripe!.maxBodyBytes, 1024 * 1024);
  assert.equal(stripe!.json, true);
  assert.deepEqual(stripe!.options, { toleranceSeconds: 300 });
  assert.equal(github!.maxBodyBytes, 2 * 1024 * 1024);
  assert.equal(github!.json, false);
  assert.deepEqual(token!.options, { header: 'secret', prefix: '' });
});

test('secrets come inline or from environment variables, several per variable (one per line), without duplicates', () => {
  const [source] = parseSources(
    { sources: [{ name: 's', provider: 'github', secrets: [{ env: 'GH_SECRET' }, 'inline', { value: 'inline' }] }] },
    { GH_SECRET: 'current\n  next  \n\n' },
  );
  assert.deepEqual(source!.secrets, ['current', 'next', 'inline']);
});

test('problems are reported with their path, all at once, and never with secret values', () => {
  const attempt = () =>
    parseSources(
      {
        sources: [
          { name: 'Bad Name', provider: 'stripe', secrets: ['whsec_do_not_print'] },
          { name: 'ok', provider: 'nope', secrets: ['x'] },
          { name: 'gh', provider: 'github', secrets: [{ env: 'MISSING_SECRET' }] },
          { name: 'gh', provider: 'github', secrets: ['y'], maxBodyBytes: '50mb' },
          { name: 'h', provider: 'hmac', secrets: ['z'], options: { header: 'x-sig', signedContent: '{timestamp}' } },
        ],
      },
      {},
      'sources.yaml',
    );
  assert.throws(attempt, ConfigError);
  try {
    attempt();
  } catch (error) {
    const message = (error as Error).message;
    assert.match(message, /^sources\.yaml is not valid:/);
    assert.match(message, /sources\[0\]\.name: lower-case letters/);
    assert.match(message, /sources\[1\]\.provider/);
    assert.match(message, /sources\[2\]\.secrets\[0\]: environment variable MISSING_SECRET is not set/);
    assert.match(message, /sources\[3\]\.maxBodyBytes: at most 9500000 bytes/);
    assert.match(message, /sources\[4\]\.options\.signedContent: must contain \{body\}/);
    assert.match(message, /sources\[4\]\.options\.timestampHeader: required when signedContent uses \{timestamp\}/);
    assert.doesNotMatch(message, /whsec_do_not_print/);
  }
});

test('duplicate names, unknown fields and an empty list are refused', () => {
  assert.throws(() => parseSources({ sources: [] }), /declare at least one source/);
  assert.throws(
    () => parseSources({ sources: [{ name: 'a', provider: 'github', secrets: ['x'] }, { name: 'a', provider: 'github', secrets: ['y'] }] }),
    /sources\[1\]\.name: duplicate source name "a"/,
  );
  assert.throws(() => parseSources({ sources: [{ name: 'a', provider: 'github', secrets: ['x'], secret: 'typo' }] }), /Unrecognized key/);
});

test('files are read as YAML or JSON, and an unreadable or unparsable file says so', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sources-'));
  writeFileSync(join(dir, 's.json'), JSON.stringify({ sources: [{ name: 'a', provider: 'github', secrets: ['x'] }] }));
  writeFileSync(join(dir, 'bad.yaml'), 'sources: [\n');
  assert.equal(loadSources(join(dir, 's.json'), {})[0]!.name, 'a');
  assert.throws(() => loadSources(join(dir, 'bad.yaml'), {}), /cannot parse the sources file/);
  assert.throws(() => loadSources(join(dir, 'none.yaml'), {}), /cannot read the sources file .*ENOENT/);
});
