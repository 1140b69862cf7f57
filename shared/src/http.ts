import { HttpError } from './errors.ts';

/** The one way an HttpError becomes a response: JSON body, status from its code, Retry-After and Allow when set. */
export function errorResponse(error: HttpError): Response {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (error.retryAfterSeconds !== undefined) headers['retry-after'] = String(error.retryAfterSeconds);
  if (error.allow) headers.allow = error.allow.join(', ');
  // A sender past the body limit is cut off rather than read to the end.
  if (error.code === 'payload_too_large') headers.connection = 'close';
  return new Response(JSON.stringify(error.body()), { status: error.status, headers });
}
