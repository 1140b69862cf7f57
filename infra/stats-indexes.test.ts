// The ledger's counts (ops/src/stats.ts) need composite indexes in production, which the emulator does not: each one
// the stats declare must be in infra/firestore.tf, on the ledger's collection, with the same fields and orders.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { STATS_INDEXES } from '../ops/src/stats.ts';
import { readTerraform, resolve, type Terraform } from '../test/support/terraform.ts';

let tf: Terraform;
before(async () => {
  tf = await readTerraform();
});

/** The values of a `for_each = toset([...])`, or one undefined for an index without for_each. */
function eachValues(forEach: unknown): Array<string | undefined> {
  if (forEach === undefined) return [undefined];
  const list = /toset\((\[.*\])\)/.exec(String(forEach));
  assert.ok(list, `a for_each this test cannot read: ${String(forEach)}`);
  return JSON.parse(list[1]!) as string[];
}

/** Every declared index on a collection as "field:ORDER,...", a for_each over field names expanded. */
function declared(collection: string): Set<string> {
  const out = new Set<string>();
  for (const index of Object.values(tf.resources.google_firestore_index ?? {})) {
    if (resolve(tf, index.collection) !== collection) continue;
    const fields = index.fields as Array<{ field_path: string; order: string }>;
    for (const value of eachValues(index.for_each)) {
      out.add(fields.map((f) => `${f.field_path === '${each.value}' ? value : f.field_path}:${f.order}`).join(','));
    }
  }
  return out;
}

test('every composite index the stats count with is declared on the ledger collection', () => {
  const indexes = declared(String(tf.locals.ledger_collection));
  for (const wanted of STATS_INDEXES) {
    const key = wanted.map(([field, order]) => `${field}:${order}`).join(',');
    assert.ok(indexes.has(key), `infra/firestore.tf lacks the index ${key}; it has ${[...indexes].join(' | ')}`);
  }
});
