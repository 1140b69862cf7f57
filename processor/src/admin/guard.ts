// Who may call the admin API, decided from the request's headers alone (pure, so every rule is unit-tested). The
// processor is private on Cloud Run: IAM lets only run.invoker principals in, and operators open the page through
// `gcloud run services proxy` on localhost. What IAM cannot stop is another page in the operator's browser using
// that proxy: a cross-site request, or a page whose hostname an attacker rebinds to 127.0.0.1 (DNS rebinding), which
// the browser then treats as same-origin with the proxy. So every admin API call must come from the admin page
// itself, served from a local address:
//
// - `Sec-Fetch-Site: same-origin`: the browser says the request comes from a page of the same origin (a cross-site
//   page cannot set it; a rebound page can, which the next rules catch).
// - A local Origin, or for a GET without one a local Referer (localhost, 127.0.0.1 or [::1], any port): a rebound
//   page keeps the attacker's hostname in both, and a page cannot forge them.
// - A local Host: a rebound page also keeps its hostname in Host. `gcloud run services proxy` (the cloud-run-proxy
//   program) replaces Host with the service's run.app host before forwarding
//   (https://github.com/GoogleCloudPlatform/cloud-run-proxy/blob/main/main.go, buildProxy), so on Cloud Run the
//   run.app host is accepted too; a rebound page still fails on its Origin or Referer there.
// - State changes also carry `x-hookpipe-admin: 1`, which no form or simple request can send.
//
// The caller is Cloud Run's verified principal: Cloud Run checks the ID token before the container sees the request
// and passes it on with the signature removed (https://cloud.google.com/run/docs/troubleshooting, "Identity token
// signature redacted by Google"), so its payload is read without verifying it again. The proxy sends the token in
// X-Serverless-Authorization; when that header is present Cloud Run checks it and passes Authorization through
// unchecked (https://cloud.google.com/run/docs/authenticating/service-to-service#acquire-token), so Authorization
// is read only when X-Serverless-Authorization is absent. Off Cloud Run nothing verified the headers: "unknown".

const LOCAL_HOSTNAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

export interface AdminRequest {
  method: string;
  header(name: string): string | undefined;
}

export interface GuardOptions {
  /** On Cloud Run (K_SERVICE is set): the run.app Host is accepted and the ID token's email is trusted. */
  onCloudRun: boolean;
}

/** The hostname of a Host header or of an absolute http(s) URL; undefined when it is neither. */
function hostnameOf(value: string, isUrl: boolean): string | undefined {
  try {
    const url = new URL(isUrl ? value : `http://${value}`);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    if (!isUrl && (url.pathname !== '/' || url.search || url.username)) return undefined;
    return url.hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

const isLocal = (hostname: string | undefined) => hostname !== undefined && LOCAL_HOSTNAMES.has(hostname);

/** Why the request is refused (a 403's message), or undefined when it may go on. */
export function adminRefusal(request: AdminRequest, options: GuardOptions): string | undefined {
  const host = hostnameOf(request.header('host') ?? '', false);
  if (!isLocal(host) && !(options.onCloudRun && host?.endsWith('.run.app'))) {
    return 'the admin API answers only on localhost (open it through `gcloud run services proxy`)';
  }
  if (request.header('sec-fetch-site') !== 'same-origin') return 'the admin API answers only the admin page (Sec-Fetch-Site: same-origin)';
  const origin = request.header('origin');
  if (origin !== undefined) {
    if (!isLocal(hostnameOf(origin, true))) return 'the admin API answers only the admin page opened on localhost (Origin)';
  } else {
    const method = request.method.toUpperCase();
    if (method !== 'GET' && method !== 'HEAD') return 'the admin API answers only the admin page (no Origin)';
    if (!isLocal(hostnameOf(request.header('referer') ?? '', true))) {
      return 'the admin API answers only the admin page opened on localhost (Referer)';
    }
  }
  if (request.method.toUpperCase() !== 'GET' && request.method.toUpperCase() !== 'HEAD' && request.header('x-hookpipe-admin') !== '1') {
    return 'admin calls that change state need the x-hookpipe-admin: 1 header';
  }
  return undefined;
}

/** The email in the ID token Cloud Run verified, or "unknown"; the token itself never leaves this function. */
export function callerIdentity(request: Pick<AdminRequest, 'header'>, options: GuardOptions): string {
  if (!options.onCloudRun) return 'unknown';
  const header = request.header('x-serverless-authorization') ?? request.header('authorization');
  const payload = /^bearer\s+[^.\s]+\.([^.\s]+)(\.[^.\s]*)?$/i.exec(header ?? '')?.[1];
  if (!payload) return 'unknown';
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { email?: unknown };
    return typeof claims.email === 'string' && /^[^\s@]+@[^\s@]+$/.test(claims.email) ? claims.email : 'unknown';
  } catch {
    return 'unknown';
  }
}
