// Each environment variable declared once: here, in settings.ts, and nowhere else in the code; and each listed in
// the README, where users look for it.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError } from './errors.ts';
import { PORTS, requireProjectId, SETTINGS } from './settings.ts';

/** The code that reads configuration: every .ts file but tests, under these folders. */
function sources(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) sources(path, out);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

test('no schema outside settings.ts declares one of the variables settings.ts declares', () => {
  const names = Object.keys(SETTINGS).join('|');
  // A zod field keyed by the variable's name: `HOOKPIPE_TOPIC: envString()...`, `PORT: z.coerce...`.
  const declaration = new RegExp(`^\\s*(${names}|PORT)\\s*:\\s*(z\\.|env(Int|Bool|String)\\(|logLevel)`, 'm');
  const elsewhere = ['shared/src', 'ingress/src', 'processor/src', 'ops/src', 'cli/src']
    .flatMap((dir) => sources(dir))
    .filter((path) => path !== join('shared', 'src', 'settings.ts') && declaration.test(readFileSync(path, 'utf8')));
  assert.deepEqual(elsewhere, []);
});

test('the README lists every variable (`A_B` / `_C` in a table row counts for A_C)', () => {
  const readme = readFileSync('README.md', 'utf8');
  const listed = new Set<string>();
  for (const line of readme.split('\n')) {
    let last: string | undefined;
    for (const [, token] of line.matchAll(/`([A-Z_][A-Z0-9_]*)(?:=[^`]*)?`/g)) {
      if (!token!.startsWith('_')) {
        last = token!;
        listed.add(last);
      } else if (last) listed.add(last.replace(/_[A-Z0-9]+$/, token!));
    }
  }
  // The project's older names, read as the client libraries read them.
  const aliases = new Set(['PUBSUB_PROJECT_ID', 'GCLOUD_PROJECT']);
  assert.deepEqual(
    Object.keys(SETTINGS).filter((name) => !aliases.has(name) && !listed.has(name)),
    [],
  );
});

test('PORT has one default per service; a missing project is the ConfigError every other setting gives', () => {
  assert.deepEqual([PORTS.ingress.parse(undefined), PORTS.processor.parse(undefined)], [8080, 8081]);
  assert.equal(requireProjectId({ PUBSUB_PROJECT_ID: 'p' }), 'p');
  assert.equal(requireProjectId({}, { projectId: 'found' }), 'found');
  assert.throws(
    () => requireProjectId({}, { error: 'no metadata server' }),
    (error: unknown) => {
      return error instanceof ConfigError && /GOOGLE_CLOUD_PROJECT: .*none was found \(no metadata server\)/.test(error.message);
    },
  );
});
