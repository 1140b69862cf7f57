import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { createLogger } from '../../shared/src/logger.ts';
import { defineHandler, findHandler, type HandlerServices, loadHandlers } from './handlers.ts';

test('the first matching handler wins, in the order given; source and provider narrow the match', () => {
  const mk = (name: string, fields: object) => defineHandler({ name, schema: z.unknown(), handle: () => {}, ...fields });
  const handlers = [
    mk('stripe-live-payments', { source: 'stripe-live', eventTypes: ['payment_intent.*'] }),
    mk('any-stripe', { provider: 'stripe' }),
    mk('pushes', { eventTypes: ['push'] }),
    mk('everything', {}),
  ];
  const find = (source: string, provider: string, eventType?: string) => findHandler(handlers, { source, provider, eventType })?.name;
  assert.equal(find('stripe-live', 'stripe', 'payment_intent.created'), 'stripe-live-payments');
  assert.equal(find('stripe-test', 'stripe', 'payment_intent.created'), 'any-stripe');
  assert.equal(find('gh', 'github', 'push'), 'pushes');
  assert.equal(find('gh', 'github', 'issues'), 'everything');
  assert.equal(find('gh', 'github'), 'everything', 'an event without a type only matches handlers without types');
});

const services: HandlerServices = {
  firestore: {} as never,
  env: { GREETING: 'hi' },
  logger: createLogger({ service: 't', level: 'silent' }),
};

function moduleFile(source: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'handlers-'));
  const file = join(dir, 'handlers.mjs');
  writeFileSync(file, source);
  return pathToFileURL(file).href;
}

test('a handlers module may export a list, or a function of the services', async () => {
  const zod = pathToFileURL(join(process.cwd(), 'node_modules/zod/index.js')).href;
  const list = moduleFile(`import { z } from '${zod}'; export default [{ name: 'a', schema: z.unknown(), handle() {} }];`);
  assert.deepEqual(
    (await loadHandlers(list, services)).map((h) => h.name),
    ['a'],
  );
  const factory = moduleFile(
    `import { z } from '${zod}'; export default ({ env }) => [{ name: env.GREETING, schema: z.unknown(), handle() {} }];`,
  );
  assert.deepEqual(
    (await loadHandlers(factory, services)).map((h) => h.name),
    ['hi'],
  );
});

test('a wrong handlers module fails at start-up with a message that says what is wrong', async () => {
  await assert.rejects(loadHandlers(moduleFile('export const x = 1;'), services), /has no default export/);
  await assert.rejects(
    loadHandlers(moduleFile('export default [{ name: "a" }];'), services),
    /handler #0 needs a name, a zod schema and a handle function/,
  );
  const zod = pathToFileURL(join(process.cwd(), 'node_modules/zod/index.js')).href;
  const twice = moduleFile(`import { z } from '${zod}'; const h = { name: 'a', schema: z.unknown(), handle() {} }; export default [h, h];`);
  await assert.rejects(loadHandlers(twice, services), /two handlers are named "a"/);
});

test('the shipped example handlers load, with the notifier only when its URL is set', async () => {
  const specifier = pathToFileURL(join(process.cwd(), 'processor/src/examples/handlers.ts')).href;
  assert.deepEqual(
    (await loadHandlers(specifier, { ...services, env: {} })).map((h) => h.name),
    ['stripe-payments', 'record-all'],
  );
  const withNotify = await loadHandlers(specifier, { ...services, env: { HOOKPIPE_NOTIFY_URL: 'http://127.0.0.1:1/notify' } });
  assert.deepEqual(
    withNotify.map((h) => h.name),
    ['stripe-payments', 'github-push-notify', 'record-all'],
  );
});
