// Push authentication: Pub/Sub signs every push with a Google OIDC token for the push service account. The token
// must be signed by Google, for this audience, issued by Google, and, unlike Google's sample, for the one service
// account allowed to push here (any Google account can mint a token for any audience).
import { OAuth2Client } from 'google-auth-library';
import { HttpError } from '../../shared/src/errors.ts';

/** PEM certificates by key id; Google's in production, a test's own in the tests. */
export type KeySource = () => Promise<Record<string, string>>;

export interface PushAuthOptions {
  audience: string;
  serviceAccountEmail: string;
  keys?: KeySource;
}

const ISSUERS = ['https://accounts.google.com', 'accounts.google.com'];

export function googleKeySource(client = new OAuth2Client()): KeySource {
  // The client caches Google's certificates for as long as their Cache-Control allows.
  return async () => (await client.getFederatedSignonCertsAsync()).certs as Record<string, string>;
}

export type PushVerifier = (authorization: string | undefined) => Promise<{ email: string }>;

export function createPushVerifier(options: PushAuthOptions): PushVerifier {
  const client = new OAuth2Client();
  const keys = options.keys ?? googleKeySource(client);
  return async (authorization) => {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    if (!match) throw new HttpError('unauthorized', 'a push must carry an OIDC bearer token');
    let payload;
    try {
      const ticket = await client.verifySignedJwtWithCertsAsync(match[1]!, await keys(), options.audience, ISSUERS);
      payload = ticket.getPayload();
    } catch {
      // The library's message can quote the token's claims; the answer says only that it failed.
      throw new HttpError('unauthorized', 'the push token is not valid for this service');
    }
    if (!payload?.email || payload.email_verified !== true || payload.email !== options.serviceAccountEmail) {
      throw new HttpError('forbidden', 'the push token is not from the configured push service account');
    }
    return { email: payload.email };
  };
}
