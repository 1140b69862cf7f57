// The cases every verifier must pass, written once: a request signed by the provider's own library (or its
// documented scheme) is accepted, and one changed body byte, a wrong secret, a stale timestamp or a missing header
// is refused; with two secrets active (a rotation) a signature by either is accepted.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Provider, WebhookRequest } from '../../ingress/src/providers/types.ts';
import { keyOf, type SourceProvider } from '../../shared/src/sources.ts';

export interface VerifierSetup<O> {
  provider: Provider<O>;
  options: O;
  /** Two secrets, as configured: the current one and the one it rotates to. */
  secrets: [string, string];
  body: Buffer;
  contentType?: string;
  url?: string;
  /** Signs as the provider does, with its own library where it publishes one; unix seconds. */
  sign(body: Buffer, secret: string, now: number, url: URL): Record<string, string> | Promise<Record<string, string>>;
  /** Who signed, for the test names: the library or "documented scheme". */
  signer: string;
  /** The header whose absence must be refused. */
  signatureHeader: string;
  /** Set for providers that sign a timestamp: how far past the tolerance a stale one is. */
  toleranceSeconds?: number;
  /** For public-key providers, whose `secrets` here are private keys: the key `verify` gets for one (its public half). */
  verifyingKey?(secret: string): Buffer;
}

const NOW = 1_763_000_000;

/** The keys the sources schema would derive from these secrets. */
export function keysFor<O>(provider: SourceProvider<O>, secrets: readonly string[]): Buffer[] {
  return secrets.map((secret) => keyOf(provider, secret));
}

/**
 * The setup of a provider that signs in one header carrying a timestamp, refused outside `toleranceSeconds` (the option,
 * set to the tolerance tested): `value` makes that header for a body signed at `now`.
 */
export function timestampedHeader(
  header: string,
  toleranceSeconds: number,
  value: (body: Buffer, secret: string, now: number) => string,
): Pick<VerifierSetup<{ toleranceSeconds: number }>, 'options' | 'sign' | 'signatureHeader' | 'toleranceSeconds'> {
  return {
    options: { toleranceSeconds },
    sign: (body, secret, now) => ({ [header]: value(body, secret, now) }),
    signatureHeader: header,
    toleranceSeconds,
  };
}

export function verifierSuite<O>(setup: VerifierSetup<O>): void {
  const { provider, options } = setup;
  const url = new URL(setup.url ?? `https://hooks.example.com/webhooks/${provider.name}`);
  const request = (headers: Record<string, string>, body = setup.body): WebhookRequest => ({
    method: 'POST',
    url,
    headers: new Headers({ 'content-type': setup.contentType ?? 'application/json', ...headers }),
    body,
  });
  const verify = (headers: Record<string, string>, keys: string[], body = setup.body, now = NOW) =>
    provider.verify(request(headers, body), setup.verifyingKey ? keys.map(setup.verifyingKey) : keysFor(provider, keys), options, now);

  test(`${provider.name}: accepts a request signed by ${setup.signer}`, async () => {
    const headers = await setup.sign(setup.body, setup.secrets[0], NOW, url);
    assert.deepEqual(verify(headers, [setup.secrets[0]]), { ok: true });
  });

  test(`${provider.name}: refuses the same request with one body byte changed`, async () => {
    const headers = await setup.sign(setup.body, setup.secrets[0], NOW, url);
    const tampered = Buffer.from(setup.body);
    tampered[Math.floor(tampered.length / 2)]! ^= 0x01;
    const verdict = verify(headers, [setup.secrets[0]], tampered);
    assert.equal(verdict.ok, false);
  });

  test(`${provider.name}: refuses a signature made with another secret`, async () => {
    const headers = await setup.sign(setup.body, setup.secrets[1], NOW, url);
    const verdict = verify(headers, [setup.secrets[0]]);
    assert.equal(verdict.ok, false);
  });

  test(`${provider.name}: with two secrets active, accepts a signature by either`, async () => {
    for (const secret of setup.secrets) {
      const headers = await setup.sign(setup.body, secret, NOW, url);
      assert.deepEqual(verify(headers, [...setup.secrets]), { ok: true }, `signed with secret #${setup.secrets.indexOf(secret)}`);
    }
  });

  test(`${provider.name}: refuses a request without ${setup.signatureHeader}`, async () => {
    const headers = await setup.sign(setup.body, setup.secrets[0], NOW, url);
    const without = Object.fromEntries(Object.entries(headers).filter(([name]) => name.toLowerCase() !== setup.signatureHeader));
    assert.equal(Object.keys(without).length, Object.keys(headers).length - 1, 'the signer sets the header under test');
    const verdict = verify(without, [setup.secrets[0]]);
    assert.equal(verdict.ok, false);
    assert.match((verdict as { reason: string }).reason, /missing/);
  });

  test(`${provider.name}: hookpipe's own signer (used by \`hookpipe send\`) agrees with ${setup.signer}`, async () => {
    const ours = provider.sign(
      { body: setup.body, url, now: NOW, id: 'msg_1', contentType: setup.contentType ?? 'application/json' },
      setup.secrets[0],
      options,
    );
    assert.deepEqual(verify(ours, [setup.secrets[0]]), { ok: true });
  });

  const tolerance = setup.toleranceSeconds;
  if (tolerance !== undefined) {
    test(`${provider.name}: refuses a timestamp outside the ${tolerance} s tolerance, either way, and accepts one at its edge`, async () => {
      for (const skew of [tolerance + 1, -(tolerance + 1)]) {
        const headers = await setup.sign(setup.body, setup.secrets[0], NOW - skew, url);
        const verdict = verify(headers, [setup.secrets[0]]);
        assert.deepEqual(verdict, { ok: false, reason: 'timestamp outside the tolerance' }, `skew ${skew}`);
      }
      const edge = await setup.sign(setup.body, setup.secrets[0], NOW - tolerance, url);
      assert.deepEqual(verify(edge, [setup.secrets[0]]), { ok: true });
    });
  }
}
