// A generic HMAC scheme for providers without a verifier of their own: which header, which algorithm and
// encoding, an optional prefix and separator for several signatures, an optional timestamp header, and the
// signed content as a template of {body}, {timestamp}, {url}, {method} and {header:<name>} (template.ts).
import { z } from 'zod';
import { anyKeyMatches, hmac } from './crypto.ts';
import { genericSample } from './sample.ts';
import { refineScheme, schemeFields, schemeUrlSigning, signScheme, verifyScheme } from './template.ts';
import { defineProvider, fail, OK } from './types.ts';

const options = () =>
  z
    .object({ ...schemeFields, algorithm: z.enum(['sha1', 'sha256', 'sha512']).default('sha256') })
    .strict()
    .superRefine((o, ctx) => refineScheme(o, ctx));

export const genericHmac = defineProvider({
  name: 'hmac',
  options,
  json: false,
  urlSigning: (o) => schemeUrlSigning(o),
  verify(request, keys, options, now) {
    return verifyScheme(request, options, now, (content, signatures) =>
      anyKeyMatches(keys, signatures, (key) => hmac(options.algorithm, key, ...content)) ? OK : fail('signature mismatch'),
    );
  },
  describe: () => ({}),
  sign: (input, secret, options) => signScheme(input, options, (content) => hmac(options.algorithm, secret, ...content)),
  sample: genericSample,
});
