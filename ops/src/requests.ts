// What the dead-letter operations and the seek take, one zod schema each, checked the same way wherever a request
// comes from: the CLI's flags (a bad one is a usage error naming the flag, exit 2) and the admin API's query strings
// and JSON bodies (a 400 naming the field). Numbers and switches may come as text, as flags and query strings give
// them. The ledger listing's query is events.ts's EventQuery.
import { z } from 'zod';
import { DateLike } from '../../shared/src/date-like.ts';
import { DeadLetterFilter } from './dead-letter-view.ts';
import { DEFAULT_SCAN_LIMITS } from './scan-limits.ts';

const atMost = (max: number) => z.coerce.number().int().min(1).max(max).optional();
const toggle = z.union([z.boolean(), z.enum(['0', '1', 'true', 'false']).transform((value) => value === '1' || value === 'true')]);

/** Listing dead letters: which, how many at most (no more than a scan looks at), and whether with their bodies. */
export const ListDeadLettersRequest = DeadLetterFilter.extend({
  limit: atMost(DEFAULT_SCAN_LIMITS.scanMessages),
  showBody: toggle.default(false),
});
export type ListDeadLettersRequest = z.output<typeof ListDeadLettersRequest>;

/** Redriving dead letters: which, how many at most, how many per second, and whether only to count them. */
export const RedriveRequest = z.object({
  filter: DeadLetterFilter.default({}),
  limit: atMost(100_000),
  rate: z.coerce.number().positive().max(10_000).optional(),
  dryRun: toggle.default(false),
});
export type RedriveRequest = z.output<typeof RedriveRequest>;

/** Seeking the push subscription back to a time, and whether to run what was already processed again. */
export const SeekRequest = z.object({
  since: DateLike.refine((since) => since.getTime() <= Date.now(), 'must not be in the future'),
  force: toggle.default(false),
});
export type SeekRequest = z.output<typeof SeekRequest>;
