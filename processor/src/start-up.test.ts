// The processor's start-up as `node processor/src/main.ts` runs it: a configuration it cannot run with stops it with
// one readable line and exit code 2, never a stack trace.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

/** The processor with only `env`, and an empty gcloud configuration, so that no project can be found anywhere. */
function startWith(env: NodeJS.ProcessEnv) {
  const home = mkdtempSync(join(tmpdir(), 'hookpipe-start-'));
  const clean = { PATH: process.env.PATH, HOME: home, CLOUDSDK_CONFIG: home, METADATA_SERVER_DETECTION: 'none', PORT: '0' };
  return spawnSync(process.execPath, ['processor/src/main.ts'], { encoding: 'utf8', env: { ...clean, ...env }, timeout: 60_000 });
}

test('with the admin page on and no project set, the processor stops with the configuration error, not a stack trace', () => {
  // Against an emulator address where nothing answers: the project is needed before anything is asked of it.
  const run = startWith({ HOOKPIPE_PUSH_AUTH: 'none', PUBSUB_EMULATOR_HOST: '127.0.0.1:9', FIRESTORE_EMULATOR_HOST: '127.0.0.1:9' });
  assert.equal(run.status, 2, run.stderr);
  assert.match(run.stderr, /^processor: configuration is not valid:\n {2}- GOOGLE_CLOUD_PROJECT: set it to the project hookpipe runs in/);
  assert.match(run.stderr, /and none was found \(Unable to detect a Project Id/, 'and says why none was found');
  assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
});
