// Every error hookpipe answers with has a code; the code alone decides the HTTP status, here and nowhere else.
export const ERROR_STATUS = {
  bad_request: 400,
  invalid_json: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  payload_too_large: 413,
  unsupported_media_type: 415,
  internal: 500,
  unavailable: 503,
  overloaded: 503,
  shutting_down: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;
export type ErrorStatus = (typeof ERROR_STATUS)[ErrorCode];

export interface ErrorBody {
  error: { code: ErrorCode; message: string };
}

export class HttpError extends Error {
  readonly code: ErrorCode;
  readonly status: ErrorStatus;
  /** Seconds a client should wait before retrying; set for 503s so providers back off instead of hammering. */
  readonly retryAfterSeconds: number | undefined;
  readonly allow: readonly string[] | undefined;

  constructor(code: ErrorCode, message: string, extra: { retryAfterSeconds?: number; allow?: readonly string[]; cause?: unknown } = {}) {
    super(message, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.name = 'HttpError';
    this.code = code;
    this.status = ERROR_STATUS[code];
    this.retryAfterSeconds = extra.retryAfterSeconds;
    this.allow = extra.allow;
  }

  body(): ErrorBody {
    return { error: { code: this.code, message: this.message } };
  }
}

/**
 * Thrown by a handler when retrying cannot help (the payload is wrong, the resource is gone). The processor sends
 * the message to the dead-letter topic at once instead of burning every delivery attempt. Any other error is
 * transient and retried.
 */
export class PermanentError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentError';
  }
}

/** An error as logs and the ledger keep it: its class and message, nothing else (no stack, no cause's details). */
export function describeError(error: unknown): { class: string; message: string } {
  if (error instanceof Error) return { class: error.name || error.constructor.name, message: error.message };
  return { class: typeof error, message: String(error) };
}

/** A config or sources file that cannot be used: the message names the field and why, and start-up stops. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}
