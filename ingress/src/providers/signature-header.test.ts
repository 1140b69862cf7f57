// The `key=value` signature headers (Stripe, Paddle, PagerDuty, Calendly): parsing, the checks in their order, and
// the signer that `hookpipe send` uses agreeing with the verifier. Each provider's own test proves its scheme.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { parseSignatureHeader, signatureHeader, signSignatureHeader, verifySignatureHeader } from './signature-header.ts';
import type { WebhookRequest } from './types.ts';

const TIMESTAMPED = signatureHeader('X-Sig', { separator: ';', signature: 'h1', timestamp: 'ts', joiner: ':' });
const PLAIN = signatureHeader('X-Sig', { separator: ',', signature: 'v1' });
const NOW = 1_763_000_000;
const body = Buffer.from('{"id":"evt_1"}');
const key = Buffer.from('secret');
const hex = (content: string) => createHmac('sha256', key).update(content).digest('hex');

const request = (value: string | undefined, payload = body): WebhookRequest => ({
  method: 'POST',
  url: new URL('https://h.example/'),
  headers: new Headers(value === undefined ? {} : { 'x-sig': value }),
  body: payload,
});

test('signature header: items are trimmed, every signature is kept, unknown keys and malformed values are ignored', () => {
  const value = ` ts = 12 ;h1=${'ab'.repeat(32)}; h2=${'cd'.repeat(32)};h1=zz;junk; h1= ${'ef'.repeat(32)} `;
  const parsed = parseSignatureHeader(value, TIMESTAMPED);
  assert.equal(parsed.timestamp, 12);
  assert.deepEqual(
    parsed.signatures.map((signature) => signature.toString('hex')),
    ['ab'.repeat(32), 'ef'.repeat(32)],
  );
  assert.equal(parseSignatureHeader('ts=12.5;h1=ab', TIMESTAMPED).timestamp, undefined);
});

test("signature header: the timestamp, when signed, is joined to the raw body by the scheme's joiner", () => {
  const value = `ts=${NOW};h1=${hex(`${NOW}:${body}`)}`;
  assert.deepEqual(verifySignatureHeader(request(value), [key], TIMESTAMPED, NOW, 5), { ok: true });
  const otherJoiner = `ts=${NOW};h1=${hex(`${NOW}.${body}`)}`;
  assert.deepEqual(verifySignatureHeader(request(otherJoiner), [key], TIMESTAMPED, NOW, 5), {
    ok: false,
    reason: 'signature mismatch',
  });
});

test('signature header: refusals name what is wrong, in order: header, timestamp, signature, tolerance, match', () => {
  const reason = (value: string | undefined) =>
    (verifySignatureHeader(request(value), [key], TIMESTAMPED, NOW, 5) as { reason?: string }).reason;
  assert.equal(reason(undefined), 'missing X-Sig header');
  assert.equal(reason(`h1=${hex('x')}`), 'X-Sig has no timestamp');
  assert.equal(reason(`ts=${NOW};h2=${hex('x')}`), 'X-Sig has no h1 signature');
  assert.equal(reason(`ts=${NOW - 6};h1=${hex(`${NOW - 6}:${body}`)}`), 'timestamp outside the tolerance');
  assert.equal(reason(`ts=${NOW + 6};h1=${hex(`${NOW + 6}:${body}`)}`), 'timestamp outside the tolerance');
  assert.equal(reason(`ts=${NOW};h1=${'0'.repeat(64)}`), 'signature mismatch');
});

test('signature header: without a timestamp the raw body alone is signed, and a timestamped scheme demands a window', () => {
  assert.deepEqual(verifySignatureHeader(request(`v1=${'0'.repeat(64)},v1=${hex(body.toString())}`), [key], PLAIN), { ok: true });
  assert.throws(() => verifySignatureHeader(request(`ts=${NOW};h1=00`), [key], TIMESTAMPED), /with a tolerance/);
});

test('signature header: what the signer makes, the verifier accepts, with or without a timestamp', () => {
  for (const spec of [TIMESTAMPED, PLAIN]) {
    const signed = signSignatureHeader(body, 'secret', spec, NOW);
    assert.deepEqual(verifySignatureHeader(request(signed['x-sig']), [key], spec, NOW, 1), { ok: true });
  }
  assert.equal(signSignatureHeader(body, 'secret', TIMESTAMPED, NOW)['x-sig'], `ts=${NOW};h1=${hex(`${NOW}:${body}`)}`);
});
