// The URL that Twilio signatures and `{url}` templates bind to. X-Forwarded-Host is the client's own header (Cloud
// Run's front end does not set it), so it never moves that URL; outside the emulator a URL-signing source needs
// a configured public URL, or the ingress does not start.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { ConfigError } from '../../shared/src/errors.ts';
import { ingressApp } from '../../test/support/ingress-app.ts';
import { parseSources } from './providers/index.ts';

const TOKEN = 'twilio-auth-token';
const FORM = new URLSearchParams({ MessageSid: 'SM1', MessageStatus: 'delivered', To: '+15551234567' });

/** Twilio's documented scheme, written out: base64 HMAC-SHA1 of the URL, then each field sorted by name, name then value. */
function twilioSignature(url: string, fields = FORM): string {
  const content =
    url +
    [...fields.keys()]
      .sort()
      .map((name) => name + fields.get(name))
      .join('');
  return createHmac('sha1', TOKEN).update(content).digest('base64');
}

const twilioSource = (options: Record<string, unknown> = {}) => ({ name: 'twilio', provider: 'twilio', secrets: [TOKEN], options });
const post = (signedFor: string, headers: Record<string, string> = {}) => ({
  method: 'POST',
  body: FORM.toString(),
  headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilioSignature(signedFor), ...headers },
});

test('a forged X-Forwarded-Host does not change the URL the signature binds to', async () => {
  // Against the emulator, with no public URL: the request's own URL, its scheme from X-Forwarded-Proto.
  const local = ingressApp(parseSources({ sources: [twilioSource()] }), { allowRequestUrl: true, trustProxy: true });
  const forged = { 'x-forwarded-host': 'attacker.example' };
  assert.equal((await local.app.request('/webhooks/twilio', post('http://attacker.example/webhooks/twilio', forged))).status, 401);
  assert.equal((await local.app.request('/webhooks/twilio', post('http://localhost/webhooks/twilio', forged))).status, 202);
  const https = { ...forged, 'x-forwarded-proto': 'https' };
  assert.equal((await local.app.request('/webhooks/twilio', post('https://localhost/webhooks/twilio', https))).status, 202);

  // With HOOKPIPE_PUBLIC_URL: that URL (base path kept, the request's query appended), whatever the headers say.
  const publicUrl = new URL('https://hooks.example.com/base/');
  const deployed = ingressApp(parseSources({ sources: [twilioSource()] }), { publicUrl, trustProxy: true });
  const headers = { ...forged, 'x-forwarded-proto': 'http' };
  const send = (signedFor: string) => deployed.app.request('/webhooks/twilio?a=1', post(signedFor, headers));
  assert.equal((await send('https://attacker.example/webhooks/twilio?a=1')).status, 401);
  assert.equal((await send('https://hooks.example.com/base/webhooks/twilio?a=1')).status, 202);
  assert.equal(local.published.length + deployed.published.length, 3);
});

test("a source's own public URL wins, for Twilio and for an hmac {url} template", async () => {
  const sources = parseSources({
    sources: [
      twilioSource({ publicUrl: 'https://sms.example.com/hooks/twilio' }),
      {
        name: 'signed-url',
        provider: 'hmac',
        secrets: ['hmac-key'],
        options: { header: 'x-sig', signedContent: '{url}|{body}', publicUrl: 'https://partner.example.com/in' },
      },
    ],
  });
  const { app, published } = ingressApp(sources, { publicUrl: new URL('https://hooks.example.com'), trustProxy: true });
  assert.equal((await app.request('/webhooks/twilio', post('https://sms.example.com/hooks/twilio'))).status, 202);
  const body = '{"id":1}';
  const sign = (url: string) => createHmac('sha256', 'hmac-key').update(`${url}|${body}`).digest('hex');
  const request = (url: string) => ({ method: 'POST', body, headers: { 'x-sig': sign(url), 'x-forwarded-host': 'attacker.example' } });
  assert.equal((await app.request('/webhooks/signed-url', request('https://attacker.example/webhooks/signed-url'))).status, 401);
  assert.equal((await app.request('/webhooks/signed-url', request('https://partner.example.com/in'))).status, 202);
  assert.equal(published.length, 2);
});

test('outside the emulator, a URL-signing source without a public URL stops the start-up, named', () => {
  const sources = parseSources({
    sources: [
      { name: 'stripe', provider: 'stripe', secrets: ['whsec_x'] },
      twilioSource(),
      { name: 'plain-hmac', provider: 'hmac', secrets: ['k'], options: { header: 'x-sig' } },
      { name: 'url-hmac', provider: 'hmac', secrets: ['k'], options: { header: 'x-sig', signedContent: '{url}{body}' } },
    ],
  });
  assert.throws(
    () => ingressApp(sources),
    (error: Error) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, /sources\[1\]\.options\.publicUrl: source "twilio" \(twilio\) is signed over the URL/);
      assert.match(error.message, /sources\[3\]\.options\.publicUrl: source "url-hmac" \(hmac\)/);
      assert.match(error.message, /HOOKPIPE_PUBLIC_URL/);
      assert.doesNotMatch(error.message, /stripe|plain-hmac/);
      return true;
    },
  );
  assert.doesNotThrow(() => ingressApp(sources, { publicUrl: new URL('https://hooks.example.com') }));
  assert.doesNotThrow(() => ingressApp(sources, { allowRequestUrl: true }));
});
