// A local signing key standing in for Google's: tests mint push tokens with it and hand its public half to the
// processor as its key source, since Google's certificates cannot be fetched here.
import { createSign, generateKeyPairSync, type KeyObject } from 'node:crypto';

const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
export const AUDIENCE = 'https://processor-abc-uc.a.run.app/pubsub/push';
export const PUSHER = 'pubsub-push@my-project.iam.gserviceaccount.com';

export const publicKey = async () => ({ 'test-kid': pair.publicKey.export({ type: 'spki', format: 'pem' }).toString() });

/** A Google-style OIDC token, RS256; claims override the valid defaults. */
export function signToken(claims: Record<string, unknown>, key: KeyObject = pair.privateKey, kid = 'test-kid'): string {
  const now = Math.floor(Date.now() / 1000);
  const header = Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid })).toString('base64url');
  const payload = Buffer.from(
    JSON.stringify({
      iss: 'https://accounts.google.com',
      aud: AUDIENCE,
      email: PUSHER,
      email_verified: true,
      sub: '1234',
      iat: now,
      exp: now + 3600,
      ...claims,
    }),
  ).toString('base64url');
  const signature = createSign('RSA-SHA256').update(`${header}.${payload}`).sign(key).toString('base64url');
  return `${header}.${payload}.${signature}`;
}
