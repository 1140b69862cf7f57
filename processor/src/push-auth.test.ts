import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import { HttpError } from '../../shared/src/errors.ts';
import { AUDIENCE, publicKey as keys, PUSHER, signToken } from '../../test/support/push-keys.ts';
import { createPushVerifier, REDACTED_SIGNATURE } from './push-auth.ts';

const other = generateKeyPairSync('rsa', { modulusLength: 2048 });

const oidc = createPushVerifier({ mode: 'oidc', audience: AUDIENCE, serviceAccountEmail: PUSHER, keys });
const cloudRun = createPushVerifier({ mode: 'cloud-run', audience: AUDIENCE, serviceAccountEmail: PUSHER, keys });
/** The request's headers as the processor reads them. */
const headers =
  (values: Record<string, string>) =>
  (name: string): string | undefined =>
    values[name];
const verify = (authorization: string | undefined) => oidc(headers(authorization === undefined ? {} : { authorization }));
/** What Cloud Run hands the container after its IAM check: the verified token, signature replaced. */
const redacted = (token: string) => `${token.slice(0, token.lastIndexOf('.'))}.${REDACTED_SIGNATURE}`;
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

test('cloud-run: a token Cloud Run verified and redacted is accepted on its claims; oidc mode refuses it and says why', async () => {
  const token = redacted(signToken({}));
  assert.deepEqual(await cloudRun(headers({ authorization: `Bearer ${token}` })), { email: PUSHER });
  await assert.rejects(
    oidc(headers({ authorization: `Bearer ${token}` })),
    (error: HttpError) => error.status === 401 && /HOOKPIPE_PUSH_AUTH=cloud-run/.test(error.message),
  );
});

test('cloud-run: the claims still decide: another audience (an operator token for the run.app URL), expired, another issuer: 401; another account: 403', async () => {
  const as = (claims: Record<string, unknown>) => cloudRun(headers({ authorization: `Bearer ${redacted(signToken(claims))}` }));
  await assert.rejects(as({ aud: 'https://hookpipe-processor-abc-ew.a.run.app' }), refusedWith(401));
  const past = Math.floor(Date.now() / 1000) - 7200;
  await assert.rejects(as({ iat: past, exp: past + 600 }), refusedWith(401));
  await assert.rejects(as({ iss: 'https://evil.example' }), refusedWith(401));
  await assert.rejects(as({ email: 'operator@example.com' }), refusedWith(403));
  await assert.rejects(as({ email_verified: false }), refusedWith(403));
});

test('cloud-run: the token Cloud Run checked is X-Serverless-Authorization when present, so forged claims in Authorization count for nothing', async () => {
  // An operator passes IAM with their own token in X-Serverless-Authorization and forges push claims in Authorization.
  const operator = redacted(signToken({ email: 'operator@example.com' }));
  const forged = redacted(signToken({}, other.privateKey));
  await assert.rejects(
    cloudRun(headers({ 'x-serverless-authorization': `Bearer ${operator}`, authorization: `Bearer ${forged}` })),
    refusedWith(403),
  );
  // And a token that still has a signature is verified as in oidc mode.
  await assert.rejects(cloudRun(headers({ authorization: `Bearer ${signToken({}, other.privateKey)}` })), refusedWith(401));
  assert.deepEqual(await cloudRun(headers({ authorization: `Bearer ${signToken({})}` })), { email: PUSHER });
});
