// The ingress's outbound calls on a provider's behalf, the only ones it makes on a stranger's say-so: the certificate
// a provider names for one request (SNS's SigningCertURL), checked against the trust store and reduced to its public
// key, and the URL a provider asks to visit before it is answered (SNS's SubscribeURL). The provider decides what may
// be fetched, without I/O (providers/types.ts); here every fetch goes through the injected port, with no redirects
// (a redirect would lead off the hosts the provider checked), a timeout, a size limit, a bounded number in flight,
// and a cache bounded in entries and time, so that neither memory nor outbound traffic grows with a stranger's input.
import { X509Certificate } from 'node:crypto';
import { HttpError } from '../../shared/src/errors.ts';
import type { CertificateRequest } from './providers/types.ts';

export interface OutboundOptions {
  /** The fetch port: the platform's `fetch` in production (main.ts), a stub in tests. */
  fetch: typeof fetch;
  /** The trust anchors, PEM: Node's root CAs in production (`tls.rootCertificates`). */
  roots: readonly string[];
  /** Milliseconds since the epoch: certificate validity is checked against it. */
  clock?: () => number;
  /** Certificates kept, signing and issuing ones together; the oldest goes first. */
  maxEntries?: number;
  /** How long a checked certificate is kept, at most (never past its own expiry). */
  ttlMs?: number;
  timeoutMs?: number;
  /** A certificate file larger than this is not a certificate file. */
  maxBytes?: number;
  /** Distinct fetches under way at once; past it a request is told to retry (503) instead of queueing. */
  maxInFlight?: number;
}

export interface Outbound {
  /** The public key (DER SPKI) of the certificate `request` names, once its chain, validity and names hold. */
  certificateKey(request: CertificateRequest): Promise<Buffer>;
  /** GETs `url`; resolves once it answered 2xx. */
  confirm(url: URL): Promise<void>;
}

/** A certificate refused: the request is not authentic as far as the ingress can tell (401). */
const untrusted = (reason: string) => new HttpError('unauthorized', `signature verification failed: the signing certificate ${reason}`);

/** The provider's side could not be reached: the provider retries (503). */
const unreachable = (what: string, cause: unknown) =>
  new HttpError('unavailable', `${what} could not be reached; retry later`, { retryAfterSeconds: 5, cause });

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Every certificate in a file: PEM blocks (a leaf, maybe with its issuers), else one DER certificate (AIA files). */
export function parseCertificates(bytes: Buffer): X509Certificate[] {
  try {
    const blocks = bytes.toString('latin1').match(PEM_CERTIFICATE);
    return blocks ? blocks.map((block) => new X509Certificate(block)) : [new X509Certificate(bytes)];
  } catch {
    // Not a certificate: the caller refuses the request with that reason, which is all there is to say.
    return [];
  }
}

const validAt = (certificate: X509Certificate, at: number) =>
  certificate.validFromDate.getTime() <= at && at <= certificate.validToDate.getTime();

/** Issued by `issuer` in name and signed with its key (Node's crypto checks the signature). */
const issuedBy = (certificate: X509Certificate, issuer: X509Certificate) =>
  certificate.checkIssued(issuer) && certificate.verify(issuer.publicKey);

export type ChainCheck = { ok: true } | { ok: false; reason: string } | { missingIssuerOf: X509Certificate };

const MAX_DEPTH = 4;

/**
 * Whether `leaf` chains to one of `roots` through CA certificates of `pool`, each valid at `at` and signed by the
 * next; or which certificate's issuer is missing from the pool (to be fetched from its "CA Issuers" URL).
 */
export function checkChain(
  leaf: X509Certificate,
  pool: readonly X509Certificate[],
  roots: readonly X509Certificate[],
  at: number,
): ChainCheck {
  if (leaf.ca) return { ok: false, reason: 'is a CA certificate, not a signing one' };
  let current = leaf;
  for (let depth = 0; depth <= MAX_DEPTH; depth++) {
    if (!validAt(current, at)) {
      return { ok: false, reason: depth === 0 ? 'is expired or not yet valid' : 'has an issuer that is expired or not yet valid' };
    }
    if (depth > 0 && roots.some((root) => root.fingerprint256 === current.fingerprint256)) return { ok: true };
    const root = roots.find((candidate) => issuedBy(current, candidate));
    if (root) return validAt(root, at) ? { ok: true } : { ok: false, reason: 'chains to a root that is expired' };
    const issuer = pool.find((candidate) => candidate.ca && candidate !== current && issuedBy(current, candidate));
    if (!issuer) return { missingIssuerOf: current };
    current = issuer;
  }
  return { ok: false, reason: 'has too long a chain' };
}

/** The "CA Issuers" URL of a certificate's Authority Information Access, if it has one. */
function issuerUrlOf(certificate: X509Certificate): URL | undefined {
  const match = /CA Issuers - URI:(\S+)/.exec(certificate.infoAccess ?? '');
  return match && URL.canParse(match[1]!) ? new URL(match[1]!) : undefined;
}

interface Cached {
  value: Promise<Buffer | X509Certificate[]>;
  expires: number;
}

export function createOutbound(options: OutboundOptions): Outbound {
  const clock = options.clock ?? Date.now;
  const maxEntries = options.maxEntries ?? 128;
  const ttlMs = options.ttlMs ?? 3_600_000;
  const timeoutMs = options.timeoutMs ?? 5000;
  const maxBytes = options.maxBytes ?? 64 * 1024;
  const maxInFlight = options.maxInFlight ?? 8;
  const cache = new Map<string, Cached>();
  let inFlight = 0;
  let roots: X509Certificate[] | undefined;
  // Parsed on first use: a deployment without such a provider never pays for the ~120 roots.
  const trustAnchors = () => (roots ??= options.roots.map((pem) => new X509Certificate(pem)));

  /** GETs a URL within the bounds; the body unread (undefined) when `read` is false. */
  async function get(url: URL, what: string, read: boolean): Promise<{ status: number; body: Buffer | undefined }> {
    if (inFlight >= maxInFlight) {
      throw new HttpError('overloaded', `too many ${what} fetches under way; retry shortly`, { retryAfterSeconds: 5 });
    }
    inFlight++;
    try {
      const response = await options.fetch(url, { redirect: 'error', signal: AbortSignal.timeout(timeoutMs) });
      if (!read || !response.ok) {
        await response.body?.cancel();
        return { status: response.status, body: undefined };
      }
      const chunks: Buffer[] = [];
      let size = 0;
      const reader = response.body?.getReader();
      for (let chunk = await reader?.read(); reader && chunk && !chunk.done; chunk = await reader.read()) {
        size += chunk.value.byteLength;
        if (size > maxBytes) {
          await reader.cancel();
          throw untrusted(`file is over ${maxBytes} bytes`);
        }
        chunks.push(Buffer.from(chunk.value));
      }
      return { status: response.status, body: Buffer.concat(chunks) };
    } catch (error) {
      if (error instanceof HttpError) throw error;
      throw unreachable(what, error);
    } finally {
      inFlight--;
    }
  }

  /** Keyed by URL, one fetch for concurrent askers; a failure is not kept, so a passing outage is retried. */
  function cached<T extends Buffer | X509Certificate[]>(url: URL, load: () => Promise<{ value: T; until: number }>): Promise<T> {
    const key = url.href;
    const hit = cache.get(key);
    if (hit && hit.expires > clock()) return hit.value as Promise<T>;
    cache.delete(key);
    const value = load().then(
      (loaded) => {
        entry.expires = Math.min(clock() + ttlMs, loaded.until);
        return loaded.value;
      },
      (error: unknown) => {
        if (cache.get(key) === entry) cache.delete(key);
        throw error;
      },
    );
    // Kept while under way too, so that concurrent askers share the one fetch.
    const entry: Cached = { value, expires: Number.POSITIVE_INFINITY };
    cache.set(key, entry);
    while (cache.size > maxEntries) cache.delete(cache.keys().next().value!);
    return entry.value as Promise<T>;
  }

  async function certificateFile(url: URL, what: string): Promise<X509Certificate[]> {
    const { status, body } = await get(url, what, true);
    if (status >= 500) throw unreachable(what, new Error(`HTTP ${status}`));
    if (body === undefined) throw untrusted(`was not found at its URL (HTTP ${status})`);
    const certificates = parseCertificates(body);
    if (certificates.length === 0) throw untrusted('file holds no certificate');
    return certificates;
  }

  const issuers = (url: URL) =>
    cached(url, async () => {
      const value = await certificateFile(url, 'an issuing certificate');
      return { value, until: Math.min(...value.map((certificate) => certificate.validToDate.getTime())) };
    });

  return {
    certificateKey(request) {
      return cached(request.url, async () => {
        const [leaf, ...pool] = await certificateFile(request.url, 'the signing certificate');
        if (!request.names.some((name) => leaf!.checkHost(name) !== undefined)) {
          throw untrusted(`is not issued to ${request.names.join(' or ')}`);
        }
        // At most two issuers fetched: Amazon's chains are leaf, intermediate, root (which the trust store holds).
        for (let fetched = 0; ; fetched++) {
          const check = checkChain(leaf!, pool, trustAnchors(), clock());
          if ('missingIssuerOf' in check) {
            const url = issuerUrlOf(check.missingIssuerOf);
            if (fetched === 2 || url === undefined || !request.issuerUrl(url)) throw untrusted('does not chain to a trusted root');
            pool.push(...(await issuers(url)));
            continue;
          }
          if (!check.ok) throw untrusted(check.reason);
          return { value: leaf!.publicKey.export({ type: 'spki', format: 'der' }), until: leaf!.validToDate.getTime() };
        }
      });
    },
    async confirm(url) {
      const { status } = await get(url, 'the confirmation URL', false);
      if (status < 200 || status > 299) throw unreachable('the confirmation URL', new Error(`HTTP ${status}`));
    },
  };
}
