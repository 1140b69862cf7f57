import { createHmac } from 'node:crypto';
import { verifierSuite } from '../../../test/support/verifier-suite.ts';
import { shopify } from './shopify.ts';

verifierSuite({
  provider: shopify,
  options: {},
  secrets: ['shpss_current', 'shpss_next'],
  body: Buffer.from(JSON.stringify({ id: 820982911946154500, email: 'jon@example.com', total_price: '199.00' })),
  signer: "Shopify's documented scheme (base64 HMAC-SHA256 of the body)",
  sign: (body, secret) => ({ 'x-shopify-hmac-sha256': createHmac('sha256', secret).update(body).digest('base64') }),
  signatureHeader: 'x-shopify-hmac-sha256',
});
