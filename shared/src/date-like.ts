// A time as the operations take it: a Date (the CLI has already turned `2h` into one) or an RFC 3339 string with
// its offset (the admin API's query strings and JSON bodies).
import { z } from 'zod';

export const DateLike = z.union([z.date(), z.iso.datetime({ offset: true }).transform((text) => new Date(text))]);
