// Handshakes through the HTTP app, as an attacker meets them. X's CRC signs with the key that signs X's POSTs, so an
// unguarded CRC is a signing oracle: `GET ?crc_token=<JSON>` answered the signature that POSTing that JSON needed,
// and the forged body was accepted and published. Meta's and Slack's handshakes compute nothing with a key
// (providers/handshake.ts says why each is safe); what guards them is held here too.
import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { ingressApp } from '../../test/support/ingress-app.ts';
import { parseSources } from './providers/index.ts';

const X_SECRET = 'x-consumer-secret';
const sources = parseSources({
  sources: [
    { name: 'x', provider: 'x', secrets: [X_SECRET] },
    // A source that switched the JSON requirement off must not reopen the hole.
    { name: 'x-raw', provider: 'x', secrets: [X_SECRET], json: false },
    { name: 'wa', provider: 'meta', secrets: ['meta-secret'], options: { verifyToken: 'vt' } },
    { name: 'slack', provider: 'slack', secrets: ['slack-secret'] },
  ],
});

const xSignature = (text: string) => `sha256=${createHmac('sha256', X_SECRET).update(text).digest('base64')}`;
const crc = (app: ReturnType<typeof ingressApp>['app'], source: string, query: string) => app.request(`/webhooks/${source}?${query}`);

/** The attack: ask the CRC to sign `body`, then POST `body` with whatever it answered as the signature. */
async function forge(app: ReturnType<typeof ingressApp>['app'], source: string, body: string) {
  const answer = await crc(app, source, `crc_token=${encodeURIComponent(body)}`);
  const { response_token: signature = '' } = answer.status === 200 ? ((await answer.json()) as { response_token?: string }) : {};
  const post = await app.request(`/webhooks/${source}`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', 'x-twitter-webhooks-signature': signature },
  });
  return { crc: answer.status, post: post.status, reason: await post.text() };
}

test('X CRC forgery: a JSON body given as crc_token is not signed, and POSTing it with the answer is refused', async () => {
  const { app, published } = ingressApp(sources);
  const forged = JSON.stringify({ for_user_id: '2244994945', tweet_create_events: [{ id_str: '1', text: 'forged' }] });
  for (const source of ['x', 'x-raw']) {
    for (const body of [forged, ` \n${forged}`]) {
      const attempt = await forge(app, source, body);
      assert.equal(attempt.crc, 400, `${source}: the CRC refuses a token that is not one X sends`);
      assert.equal(attempt.post, 401, source);
    }
  }
  // The tokens the CRC does sign can spell no JSON object, and an X body must be one: their answers sign nothing
  // a POST can carry, whatever the source's `json:` says.
  for (const body of ['challenge_string', 'MTIz', 'a+b/c=']) {
    const attempt = await forge(app, 'x-raw', body);
    assert.equal(attempt.crc, 200, body);
    assert.equal(attempt.post, 401, body);
    assert.match(attempt.reason, /an X body is a JSON object/);
  }
  assert.equal(published.length, 0);
});

test('X CRC: real-looking handshakes still answer with the HMAC of the token under the current secret', async () => {
  const { app, published } = ingressApp(sources);
  // X's page shows `challenge_string`; a real check carries base64 of a UUID, and a nonce that is not signed.
  const real = Buffer.from(randomUUID()).toString('base64');
  for (const token of ['challenge_string', real, 'a+b/c=', 'T'.repeat(256)]) {
    const answer = await crc(app, 'x', `crc_token=${encodeURIComponent(token)}&nonce=MTc2OTUxODI5MjkxNA`);
    assert.equal(answer.status, 200, token);
    assert.deepEqual(await answer.json(), { response_token: xSignature(token) });
  }
  for (const token of ['T'.repeat(257), '', 'a b', '{}', 'ü']) {
    assert.equal((await crc(app, 'x', `crc_token=${encodeURIComponent(token)}`)).status, 400, JSON.stringify(token));
  }
  // And a genuine X delivery, a signed JSON object, is still accepted.
  const body = JSON.stringify({ for_user_id: '2244994945', favorite_events: [{ id: '1' }] });
  const post = await app.request('/webhooks/x', { method: 'POST', body, headers: { 'x-twitter-webhooks-signature': xSignature(body) } });
  assert.equal(post.status, 202);
  assert.equal(published.length, 1);
});

test("Meta's and Slack's handshakes echo only behind their guard: the verify token, and Slack's signature", async () => {
  const { app, published } = ingressApp(sources);
  const challenge = encodeURIComponent('{"any":"thing"}');
  const meta = await crc(app, 'wa', `hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=${challenge}`);
  assert.equal(meta.status, 403);
  assert.doesNotMatch(await meta.text(), /any/);
  const unsigned = await app.request('/webhooks/slack', {
    method: 'POST',
    body: JSON.stringify({ type: 'url_verification', challenge: 'c-123' }),
    headers: { 'content-type': 'application/json' },
  });
  assert.equal(unsigned.status, 401);
  assert.doesNotMatch(await unsigned.text(), /c-123/);
  assert.equal(published.length, 0);
});
