import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import { HttpError } from '../../shared/src/errors.ts';
import { createPushVerifier } from './push-auth.ts';
import { AUDIENCE, publicKey as keys, PUSHER, signToken } from '../../test/support/push-keys.ts';

const other = generateKeyPairSync('rsa', { modulusLength: 2048 });

const verify = createPushVerifier({ audience: AUDIENCE, serviceAccountEmail: PUSHER, keys });
const refusedWith = (status: number) => (error: unknown) => error instanceof HttpError && error.status === status;

test('a token signed by the key source, for this audience and the push service account, is accepted', async () => {
  assert.deepEqual(await verify(`Bearer ${signToken({})}`), { email: PUSHER });
});

test('no token, a malformed one, another key, another audience, another issuer or an expired token: 401', async () => {
  await assert.rejects(verify(undefined), refusedWith(401));
  await assert.rejects(verify('Basic abc'), refusedWith(401));
  await assert.rejects(verify('Bearer not.a.jwt'), refusedWith(401));
  await assert.rejects(verify(`Bearer ${signToken({}, other.privateKey)}`), refusedWith(401));
  await assert.rejects(verify(`Bearer ${signToken({ aud: 'https://elsewhere.example' })}`), refusedWith(401));
  await assert.rejects(verify(`Bearer ${signToken({ iss: 'https://evil.example' })}`), refusedWith(401));
  const past = Math.floor(Date.now() / 1000) - 7200;
  await assert.rejects(verify(`Bearer ${signToken({ iat: past, exp: past + 600 })}`), refusedWith(401));
});

test('a valid Google token for another account, or an unverified email, is 403: the audience alone is not enough', async () => {
  await assert.rejects(verify(`Bearer ${signToken({ email: 'someone-else@gmail.com' })}`), refusedWith(403));
  await assert.rejects(verify(`Bearer ${signToken({ email_verified: false })}`), refusedWith(403));
});

test('refusals never quote the token', async () => {
  const token = signToken({ aud: 'https://elsewhere.example' });
  await assert.rejects(verify(`Bearer ${token}`), (error: Error) => !error.message.includes(token.slice(0, 20)));
});
