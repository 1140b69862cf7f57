import assert from 'node:assert/strict';
import { test } from 'node:test';
import { adminRefusal, callerIdentity } from './guard.ts';

const local = { onCloudRun: false };
const cloudRun = { onCloudRun: true };

/** A request as the admin page served on `page` sends it (what Chromium sets for a same-origin fetch). */
function fromPage(method: string, page = 'http://localhost:8081', extra: Record<string, string | undefined> = {}) {
  const headers: Record<string, string | undefined> = {
    host: new URL(page).host,
    'sec-fetch-site': 'same-origin',
    // Browsers send Origin with a same-origin POST, not with a same-origin GET; a GET carries the page as Referer.
    ...(method === 'GET' ? { referer: `${page}/admin` } : { origin: page, 'x-hookpipe-admin': '1' }),
    ...extra,
  };
  return { method, header: (name: string) => headers[name] };
}

test('the admin page on localhost, 127.0.0.1 or [::1] (any port) may read and change', () => {
  for (const page of ['http://localhost:8081', 'http://127.0.0.1:39001', 'http://[::1]:8081', 'http://localhost']) {
    assert.equal(adminRefusal(fromPage('GET', page), local), undefined, page);
    assert.equal(adminRefusal(fromPage('POST', page), local), undefined, page);
  }
});

test('a page rebound to 127.0.0.1 is refused: its Host, Origin and Referer keep the attacker hostname', () => {
  const rebound = 'http://attacker.example:8081';
  assert.match(adminRefusal(fromPage('GET', rebound), local)!, /localhost/);
  assert.match(adminRefusal(fromPage('POST', rebound), local)!, /localhost/);
  // Through `gcloud run services proxy` Cloud Run sees its run.app Host; the rebound page's Origin or Referer still gives it away.
  const viaProxy = { host: 'hookpipe-processor-abc-ew.a.run.app' };
  assert.match(adminRefusal(fromPage('GET', rebound, viaProxy), cloudRun)!, /Referer/);
  assert.match(adminRefusal(fromPage('POST', rebound, viaProxy), cloudRun)!, /Origin/);
  assert.equal(adminRefusal(fromPage('POST', 'http://localhost:8081', viaProxy), cloudRun), undefined);
  // The run.app Host means nothing off Cloud Run.
  assert.match(adminRefusal(fromPage('GET', 'http://localhost:8081', viaProxy), local)!, /localhost/);
});

test('what is not the admin page itself is refused: cross-site, no Sec-Fetch-Site, no Origin nor Referer, a foreign Origin', () => {
  assert.match(adminRefusal(fromPage('POST', undefined, { 'sec-fetch-site': 'cross-site' }), local)!, /Sec-Fetch-Site/);
  assert.match(adminRefusal(fromPage('GET', undefined, { 'sec-fetch-site': 'same-site' }), local)!, /Sec-Fetch-Site/);
  assert.match(adminRefusal(fromPage('GET', undefined, { 'sec-fetch-site': undefined }), local)!, /Sec-Fetch-Site/);
  assert.match(adminRefusal(fromPage('GET', undefined, { referer: undefined }), local)!, /Referer/);
  assert.match(adminRefusal(fromPage('POST', undefined, { origin: undefined }), local)!, /no Origin/);
  assert.match(adminRefusal(fromPage('POST', undefined, { origin: 'null' }), local)!, /Origin/);
  assert.match(adminRefusal(fromPage('POST', undefined, { origin: 'http://localhost.attacker.example' }), local)!, /Origin/);
  assert.match(adminRefusal(fromPage('GET', undefined, { referer: 'file:///tmp/x.html' }), local)!, /Referer/);
  assert.match(adminRefusal(fromPage('GET', undefined, { host: 'localhost:8081/evil' }), local)!, /localhost/);
  assert.match(adminRefusal(fromPage('GET', undefined, { host: undefined }), local)!, /localhost/);
});

test('a change still needs the x-hookpipe-admin header', () => {
  assert.match(adminRefusal(fromPage('POST', undefined, { 'x-hookpipe-admin': undefined }), local)!, /x-hookpipe-admin/);
  assert.match(adminRefusal(fromPage('DELETE', undefined, { 'x-hookpipe-admin': '0' }), local)!, /x-hookpipe-admin/);
});

const token = (claims: object, signature = 'SIGNATURE_REMOVED_BY_GOOGLE') =>
  `${Buffer.from('{"alg":"RS256"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
const withAuth = (headers: Record<string, string>) => ({ header: (name: string) => headers[name] });

test('the caller is the email of the token Cloud Run verified: X-Serverless-Authorization first, then Authorization', () => {
  const proxy = token({ email: 'operator@example.com' });
  const app = token({ email: 'someone-else@example.com' });
  assert.equal(callerIdentity(withAuth({ 'x-serverless-authorization': `Bearer ${proxy}` }), cloudRun), 'operator@example.com');
  // With both, Cloud Run checked only X-Serverless-Authorization: Authorization may be anything the caller wrote.
  const both = withAuth({ 'x-serverless-authorization': `Bearer ${proxy}`, authorization: `Bearer ${app}` });
  assert.equal(callerIdentity(both, cloudRun), 'operator@example.com');
  const serviceAccount = token({ email: 'sa@p.iam.gserviceaccount.com' }, '');
  assert.equal(callerIdentity(withAuth({ authorization: `Bearer ${serviceAccount}` }), cloudRun), 'sa@p.iam.gserviceaccount.com');
});

test('without a readable token, or off Cloud Run where nothing verified it, the caller is "unknown"', () => {
  assert.equal(callerIdentity(withAuth({}), cloudRun), 'unknown');
  assert.equal(callerIdentity(withAuth({ authorization: 'Basic dXNlcjpwYXNz' }), cloudRun), 'unknown');
  assert.equal(callerIdentity(withAuth({ authorization: 'Bearer not-a-jwt' }), cloudRun), 'unknown');
  const broken = `Bearer a.${Buffer.from('{oops').toString('base64url')}.c`;
  assert.equal(callerIdentity(withAuth({ authorization: broken }), cloudRun), 'unknown');
  assert.equal(callerIdentity(withAuth({ authorization: `Bearer ${token({ sub: '123' })}` }), cloudRun), 'unknown');
  assert.equal(callerIdentity(withAuth({ authorization: `Bearer ${token({ email: 'operator@example.com' })}` }), local), 'unknown');
});
