// The admin page's files, served under /admin by the processor: the bundle scripts/build-admin.ts writes to
// dist/admin-ui (index.html and the content-hashed script and stylesheet it names), read once at start-up and held
// in memory (about 70 KiB). Only those files are served, looked up by exact name, so no request path ever reaches
// the file system: `..`, encoded or not, is just a name that is not there.
//
// Every file goes out with its content type, `nosniff`, and a Content-Security-Policy that lets the page run only
// its own bundled script and stylesheet and call only its own origin: no inline script, no other origin, no framing.
// index.html is revalidated on every load and the bundles it names are cached for good, since a new build gives
// them new names: a browser never runs an old bundle with a new page.
//
// Where the bundle is: dist/admin-ui under the package root (the nearest folder with package.json): the repository
// in development and tests (this file is processor/src/admin/assets.ts), /app in the image (this file is
// /app/dist/processor/src/admin/assets.js, and the image copies package.json and dist/).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import type { Hono } from 'hono';
import { ConfigError, HttpError } from '../../../shared/src/errors.ts';

/** The command that builds the bundle, named when it is missing. */
export const ADMIN_BUILD_COMMAND = 'npm run build:admin';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  // The page's icon is an empty data: URL (no request for /favicon.ico).
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

export interface AdminAsset {
  body: Uint8Array<ArrayBuffer>;
  headers: Record<string, string>;
}

/** The page's files by name; `''` is index.html, the page itself. */
export type AdminAssets = ReadonlyMap<string, AdminAsset>;

/** The nearest folder at or above `from` that holds package.json. */
export function packageRoot(from: string = import.meta.dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new ConfigError(`no package.json above ${from}: cannot find the admin page's bundle`);
  }
}

export const adminUiDir = (): string => join(packageRoot(), 'dist', 'admin-ui');

function asset(body: Uint8Array<ArrayBuffer>, name: string, immutable: boolean): AdminAsset {
  const contentType = CONTENT_TYPES[extname(name)];
  if (!contentType) throw new ConfigError(`the admin page's index.html names ${name}, which is not HTML, JavaScript or CSS`);
  return {
    body,
    headers: {
      'content-type': contentType,
      'content-security-policy': CONTENT_SECURITY_POLICY,
      'x-content-type-options': 'nosniff',
      // The API's guard reads the page's Referer on GETs: same-origin requests keep it, other origins never see it.
      'referrer-policy': 'same-origin',
      'cache-control': immutable ? 'private, max-age=31536000, immutable' : 'no-cache',
    },
  };
}

/**
 * Reads index.html and every file it names from `dir`. A missing or incomplete bundle is a ConfigError naming the
 * command that builds it, so a processor with the admin page on stops at start-up rather than serve a broken page.
 */
export function loadAdminAssets(dir: string = adminUiDir()): AdminAssets {
  const read = (name: string): Uint8Array<ArrayBuffer> => {
    try {
      return readFileSync(join(dir, name));
    } catch (error) {
      const why = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'is missing' : `cannot be read (${(error as Error).message})`;
      throw new ConfigError(
        `the admin page's ${name} ${why} in ${dir}: build the page with \`${ADMIN_BUILD_COMMAND}\` (or \`npm run build\`), ` +
          'or turn the admin page off with HOOKPIPE_ADMIN=false',
      );
    }
  };
  const index = read('index.html');
  const assets = new Map<string, AdminAsset>([['', asset(index, 'index.html', false)]]);
  for (const [, name] of new TextDecoder().decode(index).matchAll(/\b(?:src|href)="([^"]*)"/g)) {
    if (name === undefined || name.startsWith('data:') || assets.has(name)) continue;
    // The build writes plain file names beside index.html; anything else was not written by it.
    if (!/^[\w.-]+$/.test(name) || name.startsWith('.')) throw new ConfigError(`the admin page's index.html names ${name}, not a bundle`);
    assets.set(name, asset(read(name), name, true));
  }
  return assets;
}

/**
 * Serves the page under the app's mount: `<mount>` redirects to `<mount>/` (the page's relative URLs, its bundles
 * and `api/`, resolve from there), `<mount>/` is index.html, `<mount>/<name>` a bundle; anything else is a 404.
 */
export function serveAdminAssets(app: Hono, assets: AdminAssets): void {
  app.get('/', (c) => c.redirect(`${c.req.path}/`, 302));
  app.get('/:file{[^/]*}', (c) => {
    const found = assets.get(c.req.param('file'));
    if (!found) throw new HttpError('not_found', 'no such file in the admin page');
    return c.body(found.body, 200, found.headers);
  });
}
