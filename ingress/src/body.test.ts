import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, test } from 'node:test';
import type { HttpError } from '../../shared/src/errors.ts';
import { ingressApp } from '../../test/support/ingress-app.ts';
import { waitFor } from '../../test/support/wait.ts';
import { readIncoming, readRequest } from './body.ts';
import { type BodyHold, createBodyBudget } from './body-budget.ts';
import { parseSources } from './providers/index.ts';
import type { BoundedPublisher } from './publisher.ts';

const KiB = 1024;
// 1 MiB in all, 64 KiB a small body, 256 KiB kept for small bodies: large ones share 768 KiB.
const budget = () => createBodyBudget({ totalBytes: 1024 * KiB, smallBodyBytes: 64 * KiB, reservedForSmallBytes: 256 * KiB });

const servers: Server[] = [];
after(() => {
  for (const server of servers) server.close();
});

// Without the refusal under test a client would wait for an answer forever: each test fails on its own instead.
const timeout = 10_000;

/** A server that reads each body with `read` and answers with what happened; the test sees the outcome server-side. */
interface Outcome {
  body?: Buffer;
  error?: HttpError;
  incoming: IncomingMessage;
}

async function serve(read: (incoming: IncomingMessage) => Promise<Buffer>) {
  const outcomes: Array<Promise<Outcome>> = [];
  const server = createServer((incoming, response) => {
    const outcome = read(incoming).then(
      (body): Outcome => ({ body, incoming }),
      (error: HttpError): Outcome => ({ error, incoming }),
    );
    outcomes.push(outcome);
    void outcome.then(({ error }) => response.writeHead(error?.status ?? 200, { connection: 'close' }).end());
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, next: () => waitForOutcome(outcomes) };
}

async function waitForOutcome<T>(outcomes: Array<Promise<T>>): Promise<T> {
  while (outcomes.length === 0) await new Promise((resolve) => setImmediate(resolve));
  return outcomes.shift()!;
}

/** A POST that sends its headers and then only what `write` sends; resolves with the status, or 0 if cut off. */
function post(port: number, headers: Record<string, string | number>, write: (send: (chunk: Buffer) => boolean) => void) {
  return new Promise<number>((resolve) => {
    const req = request({ port, host: '127.0.0.1', method: 'POST', headers }, (response) => {
      response.resume();
      resolve(response.statusCode!);
    });
    req.on('error', () => resolve(0));
    req.flushHeaders();
    write((chunk) => !req.destroyed && req.write(chunk));
  });
}

test('a declared length that cannot fit is refused with 503 before a byte of the body is read or sent', { timeout }, async () => {
  const shared = budget();
  const filler = shared.hold();
  assert.equal(filler.reserveUpTo(700 * KiB), true);
  let hold: BodyHold | undefined;
  let flowingWhenRefused: boolean | null | undefined;
  const server = await serve((incoming) => {
    hold = shared.hold();
    return readIncoming(incoming, 2048 * KiB, hold).finally(() => {
      flowingWhenRefused = incoming.readableFlowing;
    });
  });
  // The sender declares 100 KiB and sends none of it: the answer cannot have waited for the body.
  const status = await post(server.port, { 'content-length': 100 * KiB }, () => {});
  const { error } = await server.next();
  assert.equal(status, 503);
  assert.equal(error?.code, 'overloaded');
  assert.equal(hold!.refused, true);
  assert.equal(hold!.bytes, 0);
  assert.equal(flowingWhenRefused, null, 'the body stream was never started');
  filler.release();
});

test('over the source limit stays 413 even when the budget is full too: a body too large is never asked back', { timeout }, async () => {
  const shared = budget();
  shared.hold().reserveUpTo(1024 * KiB);
  const server = await serve((incoming) => readIncoming(incoming, 512 * KiB, shared.hold()));
  const status = await post(server.port, { 'content-length': 600 * KiB }, () => {});
  assert.equal(status, 413);
  assert.equal((await server.next()).error?.code, 'payload_too_large');
});

test('a chunked body is reserved chunk by chunk and cut off once the large pool is full, the stream paused', { timeout }, async () => {
  const shared = budget();
  shared.hold().reserveUpTo(600 * KiB);
  let hold: BodyHold | undefined;
  const server = await serve((incoming) => {
    hold = shared.hold();
    return readIncoming(incoming, 8192 * KiB, hold);
  });
  const chunk = Buffer.alloc(16 * KiB, 'x');
  let sent = 0;
  const answered = post(server.port, { 'transfer-encoding': 'chunked' }, (send) => {
    const pump = () => {
      // Up to 8 MiB, far past the 168 KiB the large pool has left; the server must stop long before.
      while (sent < 8192 * KiB) {
        sent += chunk.length;
        if (!send(chunk)) return void setImmediate(pump);
      }
    };
    pump();
  });
  const { error, incoming } = await server.next();
  assert.equal(error?.code, 'overloaded');
  assert.ok(hold!.bytes <= 168 * KiB, `held ${hold!.bytes} bytes with 168 KiB left in the large pool`);
  assert.ok(incoming.isPaused(), 'no more of the body is read');
  assert.deepEqual(shared.usage(), { smallBytes: 0, largeBytes: 600 * KiB + hold!.bytes });
  assert.ok([0, 503].includes(await answered));
  hold!.release();
  assert.deepEqual(shared.usage(), { smallBytes: 0, largeBytes: 600 * KiB });
});

test('a body read to its end holds its bytes until released', { timeout }, async () => {
  const shared = budget();
  let hold: BodyHold | undefined;
  const server = await serve((incoming) => {
    hold = shared.hold();
    return readIncoming(incoming, 2048 * KiB, hold);
  });
  const body = Buffer.alloc(300 * KiB, 'y');
  assert.equal(await post(server.port, { 'content-length': body.length }, (send) => void send(body)), 200);
  assert.equal((await server.next()).body?.length, body.length);
  assert.deepEqual(shared.usage(), { smallBytes: 0, largeBytes: 300 * KiB });
  hold!.release();
  assert.deepEqual(shared.usage(), { smallBytes: 0, largeBytes: 0 });
});

test('from a web Request too: refused from the declared length, or after a bounded number of pulls', { timeout }, async () => {
  const shared = budget();
  shared.hold().reserveUpTo(700 * KiB);
  const headers = { 'content-length': String(100 * KiB) };
  const declared = new Request('http://x/', { method: 'POST', body: 'z'.repeat(100 * KiB), headers });
  await assert.rejects(readRequest(declared, 2048 * KiB, shared.hold()), (error: HttpError) => error.code === 'overloaded');

  let pulled = 0;
  const endless = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulled += 1;
      controller.enqueue(new Uint8Array(16 * KiB));
    },
  });
  const hold = shared.hold();
  const streamed = new Request('http://x/', { method: 'POST', body: endless, duplex: 'half' } as RequestInit);
  await assert.rejects(readRequest(streamed, 8192 * KiB, hold), (error: HttpError) => error.code === 'overloaded');
  // 68 KiB left in the large pool: four 16 KiB chunks are a small body, the fifth makes it large and 80 KiB does not
  // fit. The stream may pull a chunk or two ahead of the reader, no more.
  assert.ok(pulled <= 7, `pulled ${pulled} chunks of 16 KiB with 68 KiB left`);
  assert.equal(hold.bytes, 64 * KiB);
});

test('through the route: a body is held until ingest refuses it or its publish settles; past the budget, 503 and close', {
  timeout,
}, async () => {
  const shared = budget();
  const settle: Array<() => void> = [];
  const publisher: BoundedPublisher = {
    publish: () => new Promise((resolve) => settle.push(() => resolve('m-1'))),
    outstanding: () => ({ messages: settle.length, bytes: 0 }),
    drain: async () => {},
  };
  const sources = parseSources({ sources: [{ name: 'plain', provider: 'token', secrets: ['tok'], maxBodyBytes: 512 * KiB }] });
  const { app } = ingressApp(sources, { publisher, bodyBudget: shared });
  const payload = 'p'.repeat(100 * KiB);
  const post = (headers: Record<string, string>) => app.request('/webhooks/plain', { method: 'POST', body: payload, headers });

  const unsigned = await post({ 'content-length': String(payload.length) });
  assert.equal(unsigned.status, 401);
  assert.deepEqual(shared.usage(), { smallBytes: 0, largeBytes: 0 }, 'released once ingest refused it');

  const signed = post({ 'content-length': String(payload.length), secret: 'tok' });
  await waitFor('the publish under way', () => settle.length > 0);
  assert.deepEqual(shared.usage(), { smallBytes: 0, largeBytes: 100 * KiB }, 'held while its publish is under way');
  settle[0]!();
  assert.equal((await signed).status, 202);
  assert.deepEqual(shared.usage(), { smallBytes: 0, largeBytes: 0 }, 'released once the publish settled');

  const stranger = shared.hold();
  stranger.reserveUpTo(700 * KiB);
  const refused = await post({ 'content-length': String(payload.length), secret: 'tok' });
  assert.equal(refused.status, 503);
  assert.equal(refused.headers.get('retry-after'), '5');
  assert.equal(refused.headers.get('connection'), 'close');
  assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'overloaded');
  assert.deepEqual(shared.usage(), { smallBytes: 0, largeBytes: 700 * KiB });
  stranger.release();
});
