import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BulkWriter, Firestore } from '@google-cloud/firestore';
import { createWriteBatcher, MAX_HOLD_MS } from './write-batcher.ts';

/** A Firestore whose BulkWriters record their writes and answer only when the test says so. */
function fakeFirestore() {
  const writers: Array<{ writes: string[]; answer: (error?: Error) => void }> = [];
  const firestore = {
    bulkWriter: () => {
      const settle: Array<(error?: Error) => void> = [];
      const written: Promise<unknown>[] = [];
      let closed = false;
      const record = {
        writes: [] as string[],
        answer: (error?: Error) => {
          for (const s of settle) s(error);
        },
      };
      writers.push(record);
      const writer = {
        onWriteError: () => {},
        create: (name: string) => {
          if (closed) throw new Error('written after close');
          if (name === 'invalid') throw new Error('invalid data');
          record.writes.push(name);
          const write = new Promise((resolve, reject) => settle.push((error) => (error ? reject(error) : resolve(name))));
          written.push(write);
          return write;
        },
        close: () => {
          closed = true;
          return Promise.allSettled(written).then(() => undefined);
        },
      };
      return writer as unknown as BulkWriter;
    },
  };
  return { firestore: firestore as unknown as Firestore, writers };
}

const create = (name: string) => (writer: BulkWriter) => (writer.create as unknown as (n: string) => Promise<string>)(name);
/** The batcher decides at the end of a turn of the event loop (setImmediate); this lets `count` turns pass. */
const turns = async (count = 2) => {
  for (let i = 0; i < count; i += 1) await new Promise((resolve) => setImmediate(resolve));
};

test('write batcher: the writes of one turn share one batch, sent at the end of that turn', async () => {
  const { firestore, writers } = fakeFirestore();
  const write = createWriteBatcher(firestore);
  const results = ['a', 'b', 'c'].map((name) => write(create(name)));
  await turns(1);
  assert.deepEqual(
    writers.map((w) => w.writes),
    [['a', 'b', 'c']],
  );
  writers[0]!.answer();
  assert.deepEqual(await Promise.all(results), ['a', 'b', 'c']);
});

test('write batcher: writes asked for while a batch is out wait for it, then go together', async () => {
  const { firestore, writers } = fakeFirestore();
  const write = createWriteBatcher(firestore);
  const first = write(create('first'));
  await turns();
  const waiting = [write(create('x'))];
  await turns();
  waiting.push(write(create('y')));
  await turns();
  assert.equal(writers.length, 1, 'nothing more is sent while the first batch is out');
  writers[0]!.answer();
  await turns();
  assert.deepEqual(
    writers.map((w) => w.writes),
    [['first'], ['x', 'y']],
  );
  writers[1]!.answer();
  assert.deepEqual(await Promise.all([first, ...waiting]), ['first', 'x', 'y']);
});

test('write batcher: a slow batch holds the others back MAX_HOLD_MS at most', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const { firestore, writers } = fakeFirestore();
  const write = createWriteBatcher(firestore);
  void write(create('slow'));
  await turns();
  const held = write(create('held'));
  await turns();
  t.mock.timers.tick(MAX_HOLD_MS - 1);
  await turns();
  assert.equal(writers.length, 1, 'held while the slow batch is young');
  t.mock.timers.tick(1);
  await turns();
  assert.deepEqual(
    writers.map((w) => w.writes),
    [['slow'], ['held']],
    'sent beside the slow batch once held long enough',
  );
  writers[1]!.answer();
  assert.equal(await held, 'held', 'answered while the slow batch is still out');
});

test('write batcher: a failed write fails its own caller only, and a write refused before sending does not stop the batch', async () => {
  const { firestore, writers } = fakeFirestore();
  const write = createWriteBatcher(firestore);
  const refused = write(create('invalid'));
  const sent = write(create('ok'));
  await assert.rejects(refused, /invalid data/);
  assert.deepEqual(
    writers.map((w) => w.writes),
    [['ok']],
  );
  writers[0]!.answer(new Error('ALREADY_EXISTS'));
  await assert.rejects(sent, /ALREADY_EXISTS/);
  const next = write(create('next'));
  await turns();
  writers[1]!.answer();
  assert.equal(await next, 'next', 'the batcher goes on after a failed batch');
});
