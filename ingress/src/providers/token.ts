// A shared secret sent as is in a header: the scheme of Google's Cloud Run webhook guide (header `Secret`), or
// `Authorization: Bearer <token>` with `header: authorization` and `prefix: "Bearer "`. Weaker than a signature
// (the body is not covered), for providers that offer nothing better.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { safeEqual } from './crypto.ts';
import { genericSample } from './sample.ts';
import { defineProvider, fail, OK } from './types.ts';

const digest = (value: Buffer | string) => createHash('sha256').update(value).digest();

/** Whether a token sent as is matches any key; hashing both sides makes the comparison constant-time whatever the lengths. */
export function tokenMatches(keys: readonly Buffer[], given: string): boolean {
  const sent = digest(given);
  let matched = false;
  for (const key of keys) if (safeEqual(digest(key), sent)) matched = true;
  return matched;
}

export const token = defineProvider({
  name: 'token',
  options: () => z.object({ header: z.string().min(1).toLowerCase().default('secret'), prefix: z.string().default('') }).strict(),
  json: false,
  verify(request, keys, options) {
    const header = request.headers.get(options.header);
    if (!header) return fail(`missing ${options.header} header`);
    if (!header.startsWith(options.prefix)) return fail(`${options.header} does not start with the expected prefix`);
    return tokenMatches(keys, header.slice(options.prefix.length)) ? OK : fail('token mismatch');
  },
  describe: () => ({}),
  sign(_input, secret, options) {
    return { [options.header]: options.prefix + secret };
  },
  sample: genericSample,
});
