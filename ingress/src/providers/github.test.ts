import { sign } from '@octokit/webhooks-methods';
import { verifierSuite } from '../../../test/support/verifier-suite.ts';
import { github } from './github.ts';

verifierSuite({
  provider: github,
  options: {},
  secrets: ['gh-secret-1', 'gh-secret-2'],
  body: Buffer.from(JSON.stringify({ ref: 'refs/heads/main', repository: { full_name: 'octo/hello' }, commits: [] })),
  signer: "@octokit/webhooks-methods' sign",
  sign: async (payload, secret) => ({ 'x-hub-signature-256': await sign(secret, payload.toString()) }),
  signatureHeader: 'x-hub-signature-256',
});
