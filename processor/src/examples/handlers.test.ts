// The example handlers module reads its own variables through a schema: a bad value stops the start-up naming it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Firestore } from '@google-cloud/firestore';
import { ConfigError } from '../../../shared/src/errors.ts';
import { createLogger } from '../../../shared/src/logger.ts';
import handlers from './handlers.ts';

const services = (env: NodeJS.ProcessEnv) => ({
  firestore: {} as Firestore,
  env,
  logger: createLogger({ service: 'test', level: 'silent' }),
});

test('HOOKPIPE_NOTIFY_TIMEOUT_MS that is not a number stops the start-up, named, instead of becoming NaN', () => {
  const env = { HOOKPIPE_NOTIFY_URL: 'https://chat.example/hook', HOOKPIPE_NOTIFY_TIMEOUT_MS: 'soon' };
  assert.throws(
    () => handlers(services(env)),
    (error: unknown) => error instanceof ConfigError && /HOOKPIPE_NOTIFY_TIMEOUT_MS/.test(error.message),
  );
  assert.throws(() => handlers(services({ HOOKPIPE_NOTIFY_URL: 'not a url' })), /HOOKPIPE_NOTIFY_URL/);
});

test('the notify handler is there only with a URL; the catch-all comes last', () => {
  assert.deepEqual(
    handlers(services({})).map((h) => h.name),
    ['stripe-payments', 'record-all'],
  );
  const withUrl = handlers(services({ HOOKPIPE_NOTIFY_URL: 'https://chat.example/hook', HOOKPIPE_NOTIFY_TIMEOUT_MS: '2500' }));
  assert.deepEqual(
    withUrl.map((h) => h.name),
    ['stripe-payments', 'github-push-notify', 'record-all'],
  );
});
