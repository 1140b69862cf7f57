// The one error path of every hookpipe HTTP app: the ingress, the processor and the processor's admin API. An
// HttpError is answered as its code says (errors.ts), with its message, which is written for the caller. Any other
// error is answered 500 "internal error" and its message stays in the log: an internal message can carry what a
// caller must not see (a client library's message can quote a token's claims, a resource's name, a request's
// fields). Each app says where the log goes (`report`): the ingress adds it to its request's log line, the others
// log it at once.
import type { Context, Env, ErrorHandler, NotFoundHandler } from 'hono';
import { type ErrorCode, HttpError } from './errors.ts';

/** The one way an HttpError becomes a response: JSON body, status from its code, Retry-After and Allow when set. */
export function errorResponse(error: HttpError): Response {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (error.retryAfterSeconds !== undefined) headers['retry-after'] = String(error.retryAfterSeconds);
  if (error.allow) headers.allow = error.allow.join(', ');
  // A sender past the body limit is cut off rather than read to the end.
  if (error.code === 'payload_too_large') headers.connection = 'close';
  return new Response(JSON.stringify(error.body()), { status: error.status, headers });
}

/** What the log says about an error that was answered. */
export interface ErrorReport {
  code: ErrorCode;
  /** A refusal (4xx): the message the caller was answered with. */
  reason?: string;
  /** A failure (5xx): what happened, for the log only (the stack for errors that are not HttpErrors). */
  error?: { name: string; message: string; cause?: string; stack?: string | undefined };
}

/** The report of an error, and the HttpError it is answered as. */
export function describeHttpError(error: Error): { report: ErrorReport; answer: HttpError } {
  if (!(error instanceof HttpError)) {
    const report: ErrorReport = { code: 'internal', error: { name: error.name, message: error.message, stack: error.stack } };
    return { report, answer: new HttpError('internal', 'internal error') };
  }
  if (error.status < 500) return { report: { code: error.code, reason: error.message }, answer: error };
  const cause = error.cause instanceof Error ? error.cause.message : error.cause === undefined ? undefined : String(error.cause);
  const report: ErrorReport = {
    code: error.code,
    error: { name: error.name, message: error.message, ...(cause === undefined ? {} : { cause }) },
  };
  return { report, answer: error };
}

/** The app's `onError`: answers as describeHttpError says, after handing its report to `report`. */
export function errorHandler<E extends Env>(report: (entry: ErrorReport, c: Context<E>) => void): ErrorHandler<E> {
  return (error, c) => {
    const { report: entry, answer } = describeHttpError(error);
    report(entry, c);
    return errorResponse(answer);
  };
}

/** The app's `notFound`: a 404 in the same JSON shape as every other error. */
export function notFoundHandler<E extends Env>(message: string): NotFoundHandler<E> {
  return () => errorResponse(new HttpError('not_found', message));
}
