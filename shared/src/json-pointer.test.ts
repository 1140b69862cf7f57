import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePointer, pointerText, resolvePointer } from './json-pointer.ts';

const doc = { data: { object: { id: 'pi_1', 'a/b': 1, 'm~n': true, list: ['x', { y: 2 }] } }, empty: '' };

test('resolves nested keys, array indexes and escaped tokens', () => {
  assert.equal(pointerText(doc, parsePointer('/data/object/id')), 'pi_1');
  assert.equal(pointerText(doc, parsePointer('/data/object/a~1b')), '1');
  assert.equal(pointerText(doc, parsePointer('/data/object/m~0n')), 'true');
  assert.equal(pointerText(doc, parsePointer('/data/object/list/0')), 'x');
  assert.equal(pointerText(doc, parsePointer('/data/object/list/1/y')), '2');
});

test('missing paths, non-scalars and odd indexes give undefined instead of throwing', () => {
  assert.equal(pointerText(doc, parsePointer('/data/missing/id')), undefined);
  assert.equal(pointerText(doc, parsePointer('/data/object')), undefined);
  assert.equal(pointerText(doc, parsePointer('/data/object/list/01')), undefined);
  assert.equal(pointerText(doc, parsePointer('/empty')), undefined);
  assert.equal(pointerText('not an object', parsePointer('/a')), undefined);
  assert.equal(resolvePointer(null, parsePointer('/a')), undefined);
  assert.equal(pointerText({ constructor: 'x' }, parsePointer('/toString')), undefined);
});

test('a pointer without a leading slash is refused', () => {
  assert.throws(() => parsePointer('data/id'), /starts with "\/"/);
});
