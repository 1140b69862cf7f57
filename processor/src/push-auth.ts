// Push authentication: Pub/Sub signs every push with a Google OIDC token for the push service account. The token
// must be for this audience, issued by Google, and, unlike Google's sample, for the one service account allowed to
// push here (any Google account can mint a token for any audience).
//
// Where the signature is checked depends on where the processor runs:
// - `cloud-run`: the service requires run.invoker, so Cloud Run's IAM check has already verified the token (its
//   signature, expiry, and an audience that is the run.app URL or one of the service's custom audiences) and
//   forwards it to the container with its signature replaced by `SIGNATURE_REMOVED_BY_GOOGLE`
//   (https://cloud.google.com/run/docs/authenticating/service-to-service: "Cloud Run removes the token signature
//   before passing the token to the user container"; https://cloud.google.com/run/docs/troubleshooting, "signature
//   removed"). Checking the signature again would refuse every push, so the container checks the claims of the
//   token Cloud Run verified: the push audience (an operator's token for the run.app URL passes IAM too) and the push
//   account's email (operators hold run.invoker as well). Which token Cloud Run verified: X-Serverless-Authorization
//   when present, else Authorization (same page: when both are present, only X-Serverless-Authorization is checked),
//   so a caller cannot pass IAM with one header and smuggle forged claims in the other.
// - `oidc`: nothing in front verified it (a public processor, another platform): the signature is checked here
//   against Google's certificates.
import { OAuth2Client } from 'google-auth-library';
import { HttpError } from '../../shared/src/errors.ts';

/** PEM certificates by key id; Google's in production, a test's own in the tests. */
export type KeySource = () => Promise<Record<string, string>>;

export type PushAuthMode = 'cloud-run' | 'oidc';

export interface PushAuthOptions {
  mode: PushAuthMode;
  audience: string;
  serviceAccountEmail: string;
  keys?: KeySource;
  /** Unix seconds; tests move it. */
  now?: () => number;
}

const ISSUERS = ['https://accounts.google.com', 'accounts.google.com'];
/** What Cloud Run puts in place of the signature of a token it verified. */
export const REDACTED_SIGNATURE = 'SIGNATURE_REMOVED_BY_GOOGLE';
/** Clock skew allowed on `exp`, as google-auth-library allows when it verifies. */
const CLOCK_SKEW_SECONDS = 300;

export function googleKeySource(client = new OAuth2Client()): KeySource {
  // The client caches Google's certificates for as long as their Cache-Control allows.
  return async () => (await client.getFederatedSignonCertsAsync()).certs as Record<string, string>;
}

interface Claims {
  aud?: unknown;
  iss?: unknown;
  exp?: unknown;
  email?: unknown;
  email_verified?: unknown;
}

export type PushVerifier = (header: (name: string) => string | undefined) => Promise<{ email: string }>;

const unauthorized = (message: string) => new HttpError('unauthorized', message);

/** The claims of a token whose signature Cloud Run verified and removed; never trusted in `oidc` mode. */
function redactedClaims(token: string): Claims {
  const [, payload, signature] = token.split('.');
  if (signature !== REDACTED_SIGNATURE || payload === undefined) throw unauthorized('a push must carry an OIDC bearer token');
  try {
    return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Claims;
  } catch {
    throw unauthorized('the push token is not valid for this service');
  }
}

export function createPushVerifier(options: PushAuthOptions): PushVerifier {
  const client = new OAuth2Client();
  const keys = options.keys ?? googleKeySource(client);
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));

  async function verifiedClaims(token: string): Promise<Claims> {
    try {
      const ticket = await client.verifySignedJwtWithCertsAsync(token, await keys(), options.audience, ISSUERS);
      return ticket.getPayload() ?? {};
    } catch {
      // The library's message can quote the token's claims; the answer says only that it failed.
      throw unauthorized('the push token is not valid for this service');
    }
  }

  return async (header) => {
    const serverless = options.mode === 'cloud-run' ? header('x-serverless-authorization') : undefined;
    const match = /^Bearer\s+(\S+)$/i.exec(serverless ?? header('authorization') ?? '');
    if (!match) throw unauthorized('a push must carry an OIDC bearer token');
    const token = match[1]!;
    const redacted = token.endsWith(`.${REDACTED_SIGNATURE}`);
    if (redacted && options.mode === 'oidc') {
      throw unauthorized('the push token was verified and redacted by Cloud Run: set HOOKPIPE_PUSH_AUTH=cloud-run');
    }
    const claims = redacted ? redactedClaims(token) : await verifiedClaims(token);
    // Cloud Run checked these on a redacted token; checked again here so the two modes hold the same rule.
    if (claims.aud !== options.audience || !ISSUERS.includes(String(claims.iss)))
      throw unauthorized('the push token is not valid for this service');
    if (typeof claims.exp !== 'number' || claims.exp + CLOCK_SKEW_SECONDS < now()) throw unauthorized('the push token has expired');
    if (!claims.email || claims.email_verified !== true || claims.email !== options.serviceAccountEmail) {
      throw new HttpError('forbidden', 'the push token is not from the configured push service account');
    }
    return { email: claims.email };
  };
}
