import assert from 'node:assert/strict';
import { test } from 'node:test';
import { captureLogs } from '../../test/support/log-capture.ts';
import { LEASE_SECONDS, LeasedScan, RENEW_EVERY_MS, type Received, type SubscriberPort } from './leased-scan.ts';
import { DEFAULT_SCAN_LIMITS } from './scan-limits.ts';

const message = (id: string, bytes = 10, ackId = `ack-${id}`): Received => ({
  ackId,
  message: { messageId: id, data: Buffer.alloc(bytes), attributes: { deliveryId: `evt_${id}` } },
});

/** A subscriber that answers pulls from a script and records every lease call; each call can be made to fail. */
function fakeSubscriber(pulls: Array<Received[] | Error>) {
  const calls = { pulls: [] as number[], leases: [] as Array<{ ackIds: string[]; seconds: number }>, acks: [] as string[][] };
  const fail = { lease: false, ack: false };
  const client: SubscriberPort = {
    async pull(request) {
      calls.pulls.push(request.maxMessages);
      const next = pulls.shift() ?? [];
      if (next instanceof Error) throw next;
      return [{ receivedMessages: next }];
    },
    async modifyAckDeadline(request) {
      if (fail.lease) throw new Error('UNAVAILABLE: lease call failed');
      calls.leases.push({ ackIds: request.ackIds, seconds: request.ackDeadlineSeconds });
    },
    async acknowledge(request) {
      if (fail.ack) throw new Error('UNAVAILABLE: ack failed');
      calls.acks.push(request.ackIds);
    },
  };
  return { client, calls, fail };
}

const grpcError = (code: number, message: string) => Object.assign(new Error(message), { code });
const limits = { ...DEFAULT_SCAN_LIMITS, pullBytes: 1000 };

async function drain(scan: LeasedScan): Promise<string[]> {
  const ids: string[] = [];
  for (let batch = await scan.next(); batch; batch = await scan.next()) ids.push(...batch.map((m) => m.message!.messageId!));
  return ids;
}

test('leases are renewed every 20 s while a scan runs, and a failed renewal is logged, not swallowed', async (t) => {
  t.mock.timers.enable({ apis: ['setInterval'] });
  const logs = captureLogs('ops');
  const { client, calls, fail } = fakeSubscriber([[message('1'), message('2')]]);
  const scan = new LeasedScan(client, 'projects/p/subscriptions/dlq', limits, logs.logger);
  assert.deepEqual(
    (await scan.next())?.map((m) => m.ackId),
    ['ack-1', 'ack-2'],
  );

  t.mock.timers.tick(RENEW_EVERY_MS - 1);
  assert.equal(calls.leases.length, 0);
  t.mock.timers.tick(1);
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(calls.leases, [{ ackIds: ['ack-1', 'ack-2'], seconds: LEASE_SECONDS }]);

  fail.lease = true;
  t.mock.timers.tick(RENEW_EVERY_MS);
  await new Promise((resolve) => setImmediate(resolve));
  const warning = logs.entries.find((e) => e.message?.startsWith('dead-letter lease not renewed'));
  assert.ok(warning, 'the failed renewal is in the log');
  const expected = { count: 2, deliveryIds: ['evt_1', 'evt_2'], error: { class: 'Error', message: 'UNAVAILABLE: lease call failed' } };
  assert.deepEqual({ count: warning.count, deliveryIds: warning.deliveryIds, error: warning.error }, expected);

  // Giving back fails too: logged with the delivery ids, and close() does not throw (the leases lapse on their own).
  await scan.close();
  const release = logs.entries.find((e) => e.message?.startsWith('dead letters not given back'));
  assert.deepEqual({ count: release?.count, deliveryIds: release?.deliveryIds }, { count: 2, deliveryIds: ['evt_1', 'evt_2'] });
  t.mock.timers.tick(RENEW_EVERY_MS * 3);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(logs.entries.filter((e) => e.message?.startsWith('dead-letter lease not renewed')).length, 1, 'no renewal after close');
});

test('what is not acked is given back on close; a refused ack is returned with its error and logged', async () => {
  const logs = captureLogs('ops');
  const { client, calls, fail } = fakeSubscriber([[message('1'), message('2'), message('3')]]);
  const scan = new LeasedScan(client, 'dlq', limits, logs.logger);
  const [one, two, three] = (await scan.next())!;
  assert.equal((await scan.ack([one!])).size, 0);
  fail.ack = true;
  const refused = await scan.ack([two!]);
  assert.deepEqual([...refused.keys()], [two]);
  assert.match((refused.get(two!) as Error).message, /ack failed/);
  const logged = logs.entries.find((e) => e.message?.startsWith('dead letters republished but not acked'));
  assert.deepEqual(logged?.deliveryIds, ['evt_2']);
  await scan.close();
  assert.deepEqual(calls.acks, [['ack-1']]);
  assert.deepEqual(calls.leases, [{ ackIds: ['ack-2', 'ack-3'], seconds: 0 }], 'the unacked ones go back at once');
  void three;
});

test('a message delivered twice in one scan (its lease lapsed) is passed on once, and both copies go back', async () => {
  const logs = captureLogs('ops');
  const { client, calls } = fakeSubscriber([
    [message('1'), message('2')],
    [message('1', 10, 'ack-1-again'), message('3')],
  ]);
  const scan = new LeasedScan(client, 'dlq', limits, logs.logger);
  assert.deepEqual(await drain(scan), ['1', '2', '3']);
  assert.equal(scan.scanned, 3);
  assert.equal(scan.exhausted, true);
  await scan.close();
  assert.deepEqual(calls.leases[0]!.ackIds.sort(), ['ack-1', 'ack-1-again', 'ack-2', 'ack-3']);
});

test('a pull refused by gRPC as larger than the bound is counted, and the next pulls are smaller', async () => {
  const logs = captureLogs('ops');
  const tooBig = grpcError(8, 'RESOURCE_EXHAUSTED: Received message larger than max (1800 vs 1000)');
  const { client, calls } = fakeSubscriber([[message('1', 10)], tooBig, [message('2', 10)], []]);
  const scan = new LeasedScan(client, 'dlq', { ...limits, pullBytes: 64 * 1024 }, logs.logger);
  assert.deepEqual(await drain(scan), ['1', '2']);
  assert.equal(scan.oversizedPulls, 1);
  // 4 messages held more than 64 KiB, so one was above 16 KiB: pulls start again at one, then two (64 KiB / 2 x 16 KiB).
  assert.deepEqual(calls.pulls, [1, 4, 1, 2]);
  assert.ok(logs.entries.some((e) => e.message?.startsWith('a dead-letter pull was larger than the memory bound')));
  await scan.close();
});

test('a scan stops at its limit, ends on an empty pull, and rethrows other errors after giving back what it held', async () => {
  const logs = captureLogs('ops');
  const many = fakeSubscriber([[message('1'), message('2'), message('3')]]);
  const limited = new LeasedScan(many.client, 'dlq', { ...limits, scanMessages: 2 }, logs.logger);
  assert.deepEqual(many.calls.pulls, []);
  await limited.next();
  assert.deepEqual(many.calls.pulls, [1]);
  await limited.close();

  const failing = fakeSubscriber([[message('1')], grpcError(7, 'PERMISSION_DENIED')]);
  const scan = new LeasedScan(failing.client, 'dlq', limits, logs.logger);
  await scan.next();
  await assert.rejects(scan.next(), /PERMISSION_DENIED/);
  await scan.close();
  assert.deepEqual(failing.calls.leases, [{ ackIds: ['ack-1'], seconds: 0 }]);
});
