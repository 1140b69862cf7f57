// The admin page's static serving: each file with its content type, the Content-Security-Policy and nosniff; the
// page's bundles cached for good and the page itself revalidated; nothing but the built files served, whatever the
// path says (traversal, encoded or not, sent raw over HTTP where no URL parser tidies it first); a missing or
// incomplete bundle stopping the start-up with the command that builds it; and the real build's output served so.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { Ops } from '../../../ops/src/context.ts';
import { buildAdminUi } from '../../../scripts/build-admin.ts';
import { ConfigError } from '../../../shared/src/errors.ts';
import { captureLogs } from '../../../test/support/log-capture.ts';
import { createAdminApp } from './api.ts';
import { ADMIN_BUILD_COMMAND, CONTENT_SECURITY_POLICY, loadAdminAssets, packageRoot } from './assets.ts';

const root = mkdtempSync(join(tmpdir(), 'hookpipe-admin-ui-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** A bundle folder as the build writes it, plus a file beside it that the page does not name. */
function bundle(files: Record<string, string>): string {
  const dir = mkdtempSync(join(root, 'ui-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

const INDEX =
  '<link rel="icon" href="data:,"><link rel="stylesheet" href="styles-AB12.css"><script type="module" src="main-CD34.js"></script>';
const built = bundle({
  'index.html': INDEX,
  'main-CD34.js': 'export {};',
  'styles-AB12.css': 'body{}',
  'secret.txt': 'not part of the page',
});
mkdirSync(join(built, 'sub'));
writeFileSync(join(built, 'sub', 'x.js'), 'nested');

/** The processor's mount: the admin app under /admin, its API faked (only the static files are looked at here). */
function processorApp(dir = built): Hono {
  const ops = {
    config: { HOOKPIPE_MAX_REPLAYS: 5, HOOKPIPE_LEDGER_COLLECTION: 'ledger', HOOKPIPE_PUSH_SUBSCRIPTION: 's' },
  } as unknown as Ops;
  return new Hono().route('/admin', createAdminApp(ops, captureLogs('processor').logger, loadAdminAssets(dir)));
}

test('the page and its bundles go out with their content types, the CSP, nosniff and their cache rules', async () => {
  const app = processorApp();
  const expected = [
    ['/admin/', 'text/html; charset=utf-8', 'no-cache', INDEX],
    ['/admin/main-CD34.js', 'text/javascript; charset=utf-8', 'private, max-age=31536000, immutable', 'export {};'],
    ['/admin/styles-AB12.css', 'text/css; charset=utf-8', 'private, max-age=31536000, immutable', 'body{}'],
  ] as const;
  for (const [path, type, cache, body] of expected) {
    const response = await app.request(path);
    assert.equal(response.status, 200, path);
    assert.equal(response.headers.get('content-type'), type, path);
    assert.equal(response.headers.get('cache-control'), cache, path);
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff', path);
    assert.equal(response.headers.get('content-security-policy'), CONTENT_SECURITY_POLICY, path);
    assert.equal(await response.text(), body, path);
  }
  const csp = CONTENT_SECURITY_POLICY.split('; ');
  assert.ok(csp.includes("script-src 'self'") && csp.includes("default-src 'none'") && csp.includes("frame-ancestors 'none'"));
  assert.ok(!CONTENT_SECURITY_POLICY.includes('unsafe'), 'no inline script or style, no eval');
});

test("/admin redirects to /admin/, where the page's relative URLs (its bundles, api/) resolve under /admin", async () => {
  const response = await processorApp().request('/admin');
  assert.equal(response.status, 302);
  assert.equal(response.headers.get('location'), '/admin/');
});

test('only the files index.html names are served: a file beside them, a folder, or index.html by name is a 404', async () => {
  const app = processorApp();
  for (const path of ['/admin/secret.txt', '/admin/sub/x.js', '/admin/index.html', '/admin/main.js', '/admin/favicon.ico']) {
    assert.equal((await app.request(path)).status, 404, path);
  }
  // The files are public code; the data stays behind the API's guard (guard.ts), which a page load does not pass.
  assert.equal((await app.request('/admin/api/dead-letters')).status, 403);
});

/** A raw request line over HTTP: no client-side URL parser normalises the path before the server sees it. */
function rawGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('path traversal, plain or encoded, reaches no file: /admin/../../etc/passwd and its variants', async () => {
  const app = processorApp();
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const { port } = server.address() as AddressInfo;
  try {
    const attempts = [
      '/admin/../../etc/passwd',
      '/admin/..%2f..%2fetc%2fpasswd',
      '/admin/..%2f..%2f..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd',
      '/admin/%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd',
      '/admin/%2e%2e%2f%2e%2e%2fetc%2fpasswd',
      '/admin/%2e%2e/%2e%2e/etc/passwd',
      '/admin/..%5c..%5cetc%5cpasswd',
      '/admin/%252e%252e%252fpackage.json',
      '/admin/..%2fpackage.json',
      '/admin/..%2f..%2fpackage.json',
      '/admin/%2e%2e%2fsecret.txt',
      '/admin/./secret.txt',
      '/admin/main-CD34.js%00.html',
    ];
    for (const path of attempts) {
      const { status, body } = await rawGet(port, path);
      assert.ok(status === 404, `${path}: ${status}`);
      assert.ok(!body.includes('root:') && !body.includes('"name"') && !body.includes('not part of the page'), path);
    }
    assert.equal((await rawGet(port, '/admin/main-CD34.js')).status, 200, 'the same server serves the bundle');
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});

test('a missing bundle stops the start-up with the command that builds it', () => {
  const empty = mkdtempSync(join(root, 'empty-'));
  assert.throws(
    () => loadAdminAssets(empty),
    (error: Error) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, /index\.html is missing/);
      assert.ok(error.message.includes(ADMIN_BUILD_COMMAND), error.message);
      return true;
    },
  );
  const incomplete = bundle({ 'index.html': INDEX, 'styles-AB12.css': 'body{}' });
  assert.throws(() => loadAdminAssets(incomplete), /main-CD34\.js is missing.*npm run build:admin/);
  const foreign = bundle({ 'index.html': '<script src="../../etc/passwd"></script>' });
  assert.throws(() => loadAdminAssets(foreign), ConfigError);
});

test('the real build: index.html names one script and one stylesheet, has no inline script or style, and is served', async () => {
  const out = join(root, 'build');
  const result = await buildAdminUi(out);
  const assets = loadAdminAssets(out);
  const names = [...assets.keys()].filter((name) => name !== '');
  assert.equal(names.filter((n) => /^main-[A-Z0-9]+\.js$/.test(n)).length, 1, names.join());
  assert.equal(names.filter((n) => /^styles-[A-Z0-9]+\.css$/.test(n)).length, 1, names.join());
  assert.deepEqual(
    names.sort(),
    result.files
      .map((f) => f.name)
      .filter((n) => n !== 'index.html')
      .sort(),
  );
  const html = new TextDecoder().decode(assets.get('')!.body);
  assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'every script has a src');
  assert.doesNotMatch(html, /<style|\sstyle=|\son[a-z]+=/i, 'no inline style or event handler');
  assert.doesNotMatch(html, /https?:\/\//, 'nothing from another origin');
  // uPlot and its stylesheet are inside the bundles, not fetched from anywhere.
  assert.match(new TextDecoder().decode(assets.get(names.find((n) => n.endsWith('.css'))!)!.body), /\.u-legend/);
});

test("the package root is found from this file's folder: the repository here, /app in the image", () => {
  assert.equal(packageRoot(import.meta.dirname), join(import.meta.dirname, '../../..'));
});
