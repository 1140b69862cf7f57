import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HttpError } from './errors.ts';
import { describeHttpError, errorResponse } from './http.ts';

test('an error that is not an HttpError is answered "internal error"; its message goes to the report only', async () => {
  const { report, answer } = describeHttpError(new TypeError('cannot read token.claims of undefined'));
  assert.deepEqual(answer.body(), { error: { code: 'internal', message: 'internal error' } });
  assert.equal(report.error?.message, 'cannot read token.claims of undefined');
  assert.ok(report.error?.stack);
  assert.deepEqual(await errorResponse(answer).json(), { error: { code: 'internal', message: 'internal error' } });
});

test('an HttpError is answered with its own message: a refusal reported as its reason, a failure with its cause', () => {
  const refused = describeHttpError(new HttpError('bad_request', 'limit: Too big'));
  assert.deepEqual(refused.report, { code: 'bad_request', reason: 'limit: Too big' });
  const cause = new Error('14 UNAVAILABLE: connect ECONNREFUSED');
  const failed = describeHttpError(
    new HttpError('unavailable', 'Pub/Sub refused the publish; retry later', { cause, retryAfterSeconds: 5 }),
  );
  assert.equal(failed.answer.message, 'Pub/Sub refused the publish; retry later');
  assert.deepEqual(failed.report.error, { name: 'HttpError', message: 'Pub/Sub refused the publish; retry later', cause: cause.message });
});
