// SNS messages as Amazon signs them, for tests: the canonical string written here from Amazon's page, independently of
// the provider's own (ingress/src/providers/aws-sns.ts), so that a misreading in one is caught by the other.
// https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message-verify-message-signature.html
import { type KeyObject, sign } from 'node:crypto';

export const SNS_TOPIC = 'arn:aws:sns:us-east-1:123456789012:orders';
export const SNS_CERT_URL = 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem';

export type SnsFields = Record<string, string | undefined>;

/** A Notification unless `fields` say otherwise, at unix second `now`, signed with `key` (version 2 unless told). */
export function signedSnsMessage(fields: SnsFields, key: KeyObject, now: number, version = '2'): Record<string, string> {
  const message: SnsFields = {
    Type: 'Notification',
    MessageId: '22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324',
    TopicArn: SNS_TOPIC,
    Subject: 'My First Message',
    Message: 'Hello world!',
    Timestamp: new Date(now * 1000).toISOString(),
    SignatureVersion: version,
    SigningCertURL: SNS_CERT_URL,
    UnsubscribeURL: 'https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=x',
    ...fields,
  };
  const names =
    message.Type === 'Notification'
      ? ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type']
      : ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
  const text = names
    .filter((name) => message[name] !== undefined)
    .map((name) => `${name}\n${message[name]}\n`)
    .join('');
  const present = Object.fromEntries(Object.entries(message).filter((entry): entry is [string, string] => entry[1] !== undefined));
  return { ...present, Signature: sign(version === '1' ? 'sha1' : 'sha256', Buffer.from(text), key).toString('base64') };
}

/** A SubscriptionConfirmation or UnsubscribeConfirmation of the test topic. */
export function snsConfirmation(type: 'SubscriptionConfirmation' | 'UnsubscribeConfirmation', key: KeyObject, now: number) {
  return signedSnsMessage(
    {
      Type: type,
      Subject: undefined,
      Token: '2336412f37fb687f5d51e6e241d09c8058323f60b964268bfe08ce35640228c2',
      SubscribeURL: `https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=${SNS_TOPIC}&Token=2336412f`,
      Message: 'You have chosen to subscribe to the topic. To confirm the subscription, visit the SubscribeURL included in this message.',
    },
    key,
    now,
  );
}
