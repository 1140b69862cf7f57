// How numbers, times and durations read on the page: pure functions of their inputs (and of `now` where it matters).

const DAY_MS = 86_400_000;
/** A dead letter this close to its expiry is highlighted: past it, only a seek of the dead-letter topic brings it back. */
export const EXPIRY_WARNING_MS = 2 * DAY_MS;

export const count = (n: number | undefined): string => (n ?? 0).toLocaleString('en');

export function dateTime(iso: string | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '' : date.toLocaleString();
}

/** A duration as its two largest units: `3 d 4 h`, `5 min 2 s`; under 10 s `1.2 s` or `850 ms`. */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`;
  const units: Array<[string, number]> = [
    ['d', DAY_MS],
    ['h', 3_600_000],
    ['min', 60_000],
    ['s', 1000],
  ];
  const parts: string[] = [];
  let rest = Math.round(ms / 1000) * 1000;
  for (const [name, size] of units) {
    const amount = Math.floor(rest / size);
    if (amount > 0 || parts.length > 0) parts.push(`${amount} ${name}`);
    rest -= amount * size;
    if (parts.length === 2) break;
  }
  return parts.filter((part) => !part.startsWith('0 ')).join(' ');
}

/** Whether a dead letter expiring at `iso` is within the warning (or already past). */
export function expiresSoon(iso: string | undefined, now = Date.now()): boolean {
  if (!iso) return false;
  const at = Date.parse(iso);
  return !Number.isNaN(at) && at - now <= EXPIRY_WARNING_MS;
}

/** `in 3 d 4 h`, or `expired` once past. */
export function until(iso: string, now = Date.now()): string {
  const left = Date.parse(iso) - now;
  return left <= 0 ? 'expired' : `in ${duration(left)}`;
}
