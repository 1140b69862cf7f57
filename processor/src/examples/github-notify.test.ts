import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { after, before, test } from 'node:test';
import { PermanentError } from '../../../shared/src/errors.ts';
import { createLogger } from '../../../shared/src/logger.ts';
import type { HandlerContext, WebhookEvent } from '../handlers.ts';
import { GitHubPushEvent, githubNotify, pushNotification } from './github-notify.ts';

let server: Server;
let base = '';
const received: Array<{ url: string; headers: IncomingMessage['headers']; body: string }> = [];

before(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      received.push({ url: request.url!, headers: request.headers, body });
      if (request.url === '/hang') return; // never answers
      response.statusCode = Number(request.url!.slice(1)) || 204;
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

const payload = GitHubPushEvent.parse({
  ref: 'refs/heads/main',
  repository: { full_name: 'octo/hello' },
  pusher: { name: 'octocat' },
  commits: [
    { id: 'a1b2c3d4e5f6', message: 'Fix the bug\n\nLong description' },
    { id: 'ffffffffff', message: 'Add tests' },
  ],
});
const event = { payload, deliveryId: 'd-42' } as WebhookEvent<GitHubPushEvent>;
const context = (): HandlerContext => ({
  logger: createLogger({ service: 't', level: 'silent' }),
  attempt: 1,
  deadline: new Date(Date.now() + 5000),
  signal: new AbortController().signal,
});

test('the notification says who pushed how many commits where', () => {
  assert.deepEqual(pushNotification(payload), {
    text: 'octocat pushed 2 commits to octo/hello@main',
    repository: 'octo/hello',
    branch: 'main',
    commits: [
      { id: 'a1b2c3d', message: 'Fix the bug' },
      { id: 'fffffff', message: 'Add tests' },
    ],
  });
});

test('a push is posted to the endpoint with the delivery id as idempotency key', async () => {
  await githubNotify({ url: `${base}/204`, timeoutMs: 1000 }).handle(event, context());
  const last = received.at(-1)!;
  assert.equal(last.headers['idempotency-key'], 'd-42');
  assert.equal((JSON.parse(last.body) as { text: string }).text, 'octocat pushed 2 commits to octo/hello@main');
});

test('5xx, 429 and timeouts are transient; other 4xx are permanent', async () => {
  const attempt = async (path: string, timeoutMs = 1000) => githubNotify({ url: `${base}/${path}`, timeoutMs }).handle(event, context());
  await assert.rejects(attempt('503'), (error: Error) => !(error instanceof PermanentError) && /503/.test(error.message));
  await assert.rejects(attempt('429'), (error: Error) => !(error instanceof PermanentError));
  await assert.rejects(attempt('404'), (error: Error) => error instanceof PermanentError && /404/.test(error.message));
  await assert.rejects(attempt('hang', 100), (error: Error) => !(error instanceof PermanentError) && error.name === 'TimeoutError');
});
