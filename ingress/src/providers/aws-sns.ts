// AWS SNS, HTTP/S subscriptions: each POST is a JSON envelope that Amazon signs with RSA (SignatureVersion 1:
// SHA1withRSA, 2: SHA256withRSA) over a canonical string of some of its fields, with the key of the certificate at
// SigningCertURL. That URL comes with the message, so the key is located per request (`locateKeys`), on Amazon's SNS
// hosts only and before anything is fetched; the ingress fetches it and checks its chain (outbound.ts).
// https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html (what to check: HTTPS, the chain,
//   Amazon's hosts, an unexpected TopicArn refused)
// https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message-verify-message-signature.html (the
//   canonical string: fields in byte order, "name\nvalue\n" each; Subject only when present)
// https://docs.aws.amazon.com/sns/latest/dg/sns-message-and-json-formats.html (the three message types)
// https://docs.aws.amazon.com/sns/latest/dg/SendMessageToHttp.confirm.html (confirming with SubscribeURL)
//
// The signature proves that Amazon sent the message, not that it is meant for this source: anyone can create a topic
// in their own account and subscribe this URL. So `topicArns` is required, and a message of any other topic is refused
// before its certificate is fetched, and a SubscriptionConfirmation of any other topic is never confirmed.
// Out of scope: raw message delivery (no envelope, no signature: refused), the European Sovereign Cloud's hosts.
import { generateKeyPairSync, type KeyObject, randomUUID, sign, verify } from 'node:crypto';
import { z } from 'zod';
import { anyKeyMatches, decodeSignature, hmac, withinTolerance } from './crypto.ts';
import { refusal } from './handshake.ts';
import { randomToken } from './sample.ts';
import { defineProvider, fail, type KeyPlan, OK, type Reply, type WebhookRequest } from './types.ts';

const TYPES = ['Notification', 'SubscriptionConfirmation', 'UnsubscribeConfirmation'] as const;
type MessageType = (typeof TYPES)[number];

/** The envelope's fields, as SNS sends them; only strings are read. */
export interface SnsMessage {
  Type: MessageType;
  MessageId: string;
  TopicArn: string;
  Message: string;
  Timestamp: string;
  SignatureVersion: string;
  Signature: string;
  SigningCertURL: string;
  Subject?: string | undefined;
  SubscribeURL?: string | undefined;
  Token?: string | undefined;
}

/** What is signed, by type, in byte order (the documented order). Subject is signed only when the message has one. */
const SIGNED_FIELDS: Record<MessageType, ReadonlyArray<keyof SnsMessage>> = {
  Notification: ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'],
  SubscriptionConfirmation: ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'],
  UnsubscribeConfirmation: ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'],
};

/** The canonical string SNS signs, for verify and sign alike. */
export function canonicalString(message: SnsMessage): string {
  let text = '';
  for (const field of SIGNED_FIELDS[message.Type]) {
    const value = message[field];
    if (value !== undefined) text += `${field}\n${value}\n`;
  }
  return text;
}

const REQUIRED = ['Type', 'MessageId', 'TopicArn', 'Message', 'Timestamp', 'SignatureVersion', 'Signature', 'SigningCertURL'] as const;

/** The envelope of a body, or why it is not one. Parsed before verification: the signature is inside it. */
export function parseMessage(body: Buffer): SnsMessage | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return 'an SNS message is a JSON object';
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return 'an SNS message is a JSON object';
  const fields = parsed as Record<string, unknown>;
  const text = (name: string) => (typeof fields[name] === 'string' ? (fields[name] as string) : undefined);
  for (const name of REQUIRED) if (text(name) === undefined) return `the message has no ${name}`;
  const type = text('Type') as MessageType;
  if (!TYPES.includes(type)) return `the message Type is not one of ${TYPES.join(', ')}`;
  const message = Object.fromEntries(
    [...REQUIRED, 'Subject', 'SubscribeURL', 'Token'].map((name) => [name, text(name)]),
  ) as unknown as SnsMessage;
  if (type !== 'Notification' && (message.SubscribeURL === undefined || message.Token === undefined)) {
    return `a ${type} has a SubscribeURL and a Token`;
  }
  return message;
}

// Amazon's SNS endpoints: sns.<region>.amazonaws.com (GovCloud's regions included: us-gov-west-1) and, in China,
// sns.<region>.amazonaws.com.cn. The region label is held to the shape of a region name, which the host patterns of
// Amazon's own validators (aws-php-sns-message-validator, the AWS SDK for Java's SnsMessageManager) do not do: their
// `sns.<anything>.amazonaws.com` also takes an S3 bucket named "sns" on a legacy endpoint (sns.s3-external-1...).
// https://docs.aws.amazon.com/general/latest/gr/sns.html
const SNS_HOST = /^sns\.(?:[a-z]{2}(?:-gov)?-[a-z]+-\d{1,2}\.amazonaws\.com|cn-[a-z]+-\d{1,2}\.amazonaws\.com\.cn)$/;
const CERTIFICATE_PATH = /^\/SimpleNotificationService-[0-9a-f]{1,64}\.pem$/;
// Amazon Trust Services' intermediates, named by each signing certificate's "CA Issuers" URL (http://crt.r2m01.
// amazontrust.com/r2m01.cer): the files hold only the leaf. Fetched over HTTP as AIA is: what comes back must still
// chain to a root of the trust store, so the transport adds nothing to trust.
const ISSUER_URL = /^http:\/\/crt\.[a-z0-9]{1,16}\.amazontrust\.com\/[a-z0-9]{1,16}\.(?:cer|crt)$/;
/** The name older signing certificates carry (2021's); current ones name their regional host. */
const GLOBAL_NAME = 'sns.amazonaws.com';

/** A URL of Amazon's SNS: https, on an SNS host, nothing but a path and (for SubscribeURL) a query. */
function snsUrl(text: string, path: RegExp): URL | undefined {
  if (!URL.canParse(text)) return undefined;
  const url = new URL(text);
  const plain = url.protocol === 'https:' && url.port === '' && url.username === '' && url.password === '' && url.hash === '';
  return plain && SNS_HOST.test(url.hostname) && path.test(url.pathname) ? url : undefined;
}

export const certificateUrl = (text: string): URL | undefined => {
  const url = snsUrl(text, CERTIFICATE_PATH);
  return url?.search === '' ? url : undefined;
};

/** SubscribeURL: the SNS API's ConfirmSubscription action, on the host of the topic's region. */
export const subscribeUrl = (text: string): URL | undefined => {
  const url = snsUrl(text, /^\/$/);
  return url?.searchParams.get('Action') === 'ConfirmSubscription' ? url : undefined;
};

const ALGORITHMS: Record<string, string> = { '1': 'sha1', '2': 'sha256' };

// `hookpipe send` against a local ingress cannot have Amazon sign, so it signs with a key made in its own process
// and names it at a URL under a reserved name (.invalid never resolves: RFC 2606) that carries the public key and an
// HMAC of it under the source's secret. The ingress trusts such a URL only against the emulator (`local`), without
// fetching anything; anywhere else it is refused before any I/O, as any URL off Amazon's hosts is.
const LOCAL_HOST = 'hookpipe-local-sns.invalid';
const LOCAL_PATH = /^\/([A-Za-z0-9_-]{1,1024})\.([A-Za-z0-9_-]{43})\.pem$/;
const localTag = (key: Buffer | string, spki: Buffer) => hmac('sha256', key, 'hookpipe aws-sns local signing key\n', spki);

let localKey: { privateKey: KeyObject; spki: Buffer } | undefined;
function localSigner() {
  if (localKey === undefined) {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    localKey = { privateKey: pair.privateKey, spki: pair.publicKey.export({ type: 'spki', format: 'der' }) };
  }
  return localKey;
}

function localKeys(url: URL, keys: readonly Buffer[]): KeyPlan {
  const match = LOCAL_PATH.exec(url.pathname);
  const spki = match && Buffer.from(match[1]!, 'base64url');
  const tag = match && Buffer.from(match[2]!, 'base64url');
  if (spki && tag && anyKeyMatches(keys, [tag], (key) => localTag(key, spki))) return { keys: [spki] };
  return { refused: 'the local signing key is not vouched for' };
}

const optionsSchema = () =>
  z
    .object({
      topicArns: z
        .array(z.string().regex(/^arn:aws(?:-cn|-us-gov)?:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(?:\.fifo)?$/, 'a topic ARN'))
        .min(1, 'list the topics that may post here: anyone can create a topic and subscribe this URL, and Amazon signs its messages too'),
      // SNS states no tolerance; its timestamps are when a message was published, and the retries of an HTTP/S
      // delivery policy end within 3,600 s of the first attempt (a hard limit), so the default leaves 5 minutes for
      // that attempt and the clocks: https://docs.aws.amazon.com/sns/latest/dg/sns-message-delivery-retries.html
      toleranceSeconds: z.number().int().min(60).max(7200).default(3900),
      // Topics sign with version 1 (SHA-1) unless set to 2; a source whose topics all use 2 can refuse 1.
      signatureVersions: z
        .array(z.enum(['1', '2']))
        .min(1)
        .default(['1', '2']),
    })
    .strict();
type SnsOptions = z.output<ReturnType<typeof optionsSchema>>;

/** The checks that need no key, made before anything is fetched (locateKeys) and again by verify. */
function admissible(request: WebhookRequest, options: SnsOptions, now: number): { message: SnsMessage } | { refused: string } {
  const message = parseMessage(request.body);
  if (typeof message === 'string') return { refused: message };
  if (!options.topicArns.includes(message.TopicArn)) return { refused: "the topic is not one of this source's topicArns" };
  if (!(options.signatureVersions as string[]).includes(message.SignatureVersion)) {
    return { refused: `SignatureVersion ${message.SignatureVersion} is not accepted here` };
  }
  const millis = Date.parse(message.Timestamp);
  if (Number.isNaN(millis)) return { refused: 'the message Timestamp is not a date' };
  if (!withinTolerance(Math.floor(millis / 1000), now, options.toleranceSeconds)) return { refused: 'timestamp outside the tolerance' };
  return { message };
}

function sampleMessage(now: number): Record<string, string> {
  const id = randomUUID();
  return {
    Type: 'Notification',
    MessageId: id,
    Subject: 'order.created',
    Message: JSON.stringify({ orderId: `ord_${randomToken(12)}`, status: 'created' }),
    Timestamp: new Date(now * 1000).toISOString(),
    UnsubscribeURL: `https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:us-east-1:123456789012:t:${id}`,
  };
}

/** The envelope `hookpipe send` signs: the body's own if it is one (a sample, a resend), else a Notification of it. */
function envelopeOf(body: Buffer, now: number): Record<string, string> {
  const text = body.toString('utf8');
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed !== null && typeof parsed === 'object' && TYPES.includes((parsed as { Type?: never }).Type as never)) {
      return parsed as Record<string, string>;
    }
  } catch {
    // Not JSON (a file given to `hookpipe send`): it becomes the Message of a Notification, as below.
  }
  return { ...sampleMessage(now), Message: text };
}

export const awsSns = defineProvider({
  name: 'aws-sns',
  options: optionsSchema,
  json: true,
  locateKeys(request, keys, options, now, local): KeyPlan {
    const checked = admissible(request, options, now);
    if ('refused' in checked) return checked;
    const { message } = checked;
    if (local && URL.canParse(message.SigningCertURL) && new URL(message.SigningCertURL).hostname === LOCAL_HOST) {
      return localKeys(new URL(message.SigningCertURL), keys);
    }
    const url = certificateUrl(message.SigningCertURL);
    if (url === undefined) return { refused: "SigningCertURL is not a certificate on Amazon's SNS hosts" };
    return { fetch: { url, names: [url.hostname, GLOBAL_NAME], issuerUrl: (issuer) => ISSUER_URL.test(issuer.href) } };
  },
  verify(request, keys, options, now) {
    const checked = admissible(request, options, now);
    if ('refused' in checked) return fail(checked.refused);
    const { message } = checked;
    const signature = decodeSignature(message.Signature, 'base64');
    if (!signature) return fail('the message Signature is not base64');
    const content = Buffer.from(canonicalString(message), 'utf8');
    const algorithm = ALGORITHMS[message.SignatureVersion]!;
    // Every key is tried, as for HMACs; a key that is no RSA public key (a caller's mistake) matches nothing.
    let matched = false;
    for (const key of keys) {
      try {
        if (verify(algorithm, content, { key, format: 'der', type: 'spki' }, signature)) matched = true;
      } catch {
        // Not a public key Node can read: it verifies nothing, which is what the loop concludes without it.
      }
    }
    return matched ? OK : fail('signature mismatch');
  },
  describe(_request, payload) {
    const message = payload() as Partial<SnsMessage> | undefined;
    // SNS has no event type: Type is always Notification for what is published, and Subject is optional free text.
    // The topic is what a subscriber tells its streams apart by; `eventType: { pointer: /Subject }` overrides it.
    return { deliveryId: message?.MessageId, eventType: message?.TopicArn };
  },
  // Outside the rule for handshakes that compute with a secret (handshake.ts): both answers come after the message
  // passed Amazon's signature and the source's topics, and compute nothing with a key. A confirmation is answered only
  // once its SubscribeURL, checked to be Amazon's ConfirmSubscription on an SNS host, answered 2xx.
  challenge(payload): Reply | undefined {
    const message = payload as Partial<SnsMessage>;
    if (message.Type === 'UnsubscribeConfirmation') return { status: 200, contentType: 'text/plain; charset=utf-8', body: 'unsubscribed' };
    if (message.Type !== 'SubscriptionConfirmation') return undefined;
    const confirm = subscribeUrl(message.SubscribeURL ?? '');
    if (confirm === undefined) return refusal('bad_request', "SubscribeURL is not Amazon's ConfirmSubscription on an SNS host");
    return { status: 200, contentType: 'text/plain; charset=utf-8', body: 'subscription confirmed', confirm };
  },
  // The signature is in the body (seal); the headers SNS adds are unsigned and unread, sent for realism.
  sign({ body }) {
    const message = JSON.parse(body.toString('utf8')) as Partial<SnsMessage>;
    return {
      'x-amz-sns-message-type': message.Type ?? '',
      'x-amz-sns-message-id': message.MessageId ?? '',
      'x-amz-sns-topic-arn': message.TopicArn ?? '',
    };
  },
  seal({ body, now }, secret, options) {
    const message = envelopeOf(body, now);
    const signer = localSigner();
    const url = `https://${LOCAL_HOST}/${signer.spki.toString('base64url')}.${localTag(secret, signer.spki).toString('base64url')}.pem`;
    const signed = {
      ...message,
      TopicArn: message.TopicArn ?? options.topicArns[0]!,
      Timestamp: new Date(now * 1000).toISOString(),
      SignatureVersion: '2',
      SigningCertURL: url,
    };
    const content = canonicalString(signed as unknown as SnsMessage);
    const signature = sign('sha256', Buffer.from(content), signer.privateKey).toString('base64');
    return Buffer.from(JSON.stringify({ ...signed, Signature: signature }, null, 2));
  },
  sample(now) {
    return { body: Buffer.from(JSON.stringify(sampleMessage(now))), contentType: 'text/plain; charset=UTF-8' };
  },
});
