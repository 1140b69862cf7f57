import { randomBytes } from 'node:crypto';
import { Firestore } from '@google-cloud/firestore';

export function testFirestore(): Firestore {
  if (!process.env.FIRESTORE_EMULATOR_HOST) {
    throw new Error('FIRESTORE_EMULATOR_HOST is not set: run the integration tests through `npm test`, which starts the emulator');
  }
  return new Firestore({ projectId: process.env.GOOGLE_CLOUD_PROJECT ?? 'hookpipe-local' });
}

/** A collection name no other test uses. */
export const uniqueCollection = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;
