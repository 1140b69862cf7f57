// Firestore values as hookpipe reads them back: a time is written as a Date and read as a Timestamp.
import { Timestamp } from '@google-cloud/firestore';

/** A document's time field as a Date; undefined when absent or not a time. */
export const dateOf = (value: unknown): Date | undefined =>
  value instanceof Timestamp ? value.toDate() : value instanceof Date ? value : undefined;
