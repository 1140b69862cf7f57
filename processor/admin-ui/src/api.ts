// The admin page's one way to the admin API (processor/src/admin/api.ts): same-origin calls relative to the page,
// with the x-hookpipe-admin header the API requires for changes, and the API's error message (never a stack) shown.
// The response types are the server's own, as JSON carries them (dates as strings).
import type { DeadLetterPage, RedriveSummary } from '../../../ops/src/dead-letter-queue.ts';
import type { DeadLetterView } from '../../../ops/src/dead-letter-view.ts';
import type { Stats } from '../../../ops/src/stats-view.ts';
import type { LedgerEntry } from '../../../shared/src/ledger-entry.ts';

/** A server type as JSON delivers it: its dates are ISO strings. */
export type Wire<T> = { [K in keyof T]: T[K] extends Date ? string : T[K] extends Date | undefined ? string | undefined : T[K] };

/** A listed dead letter; `expiresAt`: when the dead-letter subscription drops it (absent from older processors). */
export type DeadLetterItem = DeadLetterView & { expiresAt?: string | undefined };
export type DeadLetterList = Omit<DeadLetterPage, 'items'> & { items: DeadLetterItem[] };
export type EventItem = Wire<LedgerEntry>;
export type { RedriveSummary, Stats };

/** The page is served at <mount>/ (the processor redirects <mount> there), so the API is at <mount>/api. */
const API = new URL('api', document.baseURI).pathname;

export async function call<T>(path: string, options: RequestInit = {}): Promise<T> {
  const response = await fetch(API + path, {
    ...options,
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json', 'x-hookpipe-admin': '1', ...options.headers },
  });
  const body = (await response.json().catch(() => ({}))) as { error?: { message?: string } };
  if (!response.ok) throw new Error(body.error?.message ?? `HTTP ${response.status}`);
  return body as T;
}

/** A query string of the non-empty values. */
export function query(values: Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) if (value) params.append(key, value);
  const text = params.toString();
  return text ? `?${text}` : '';
}
