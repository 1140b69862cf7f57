// The end-to-end benchmark's handler: it takes every event and does nothing, so what is measured is the pipeline
// (ingress, Pub/Sub push, ledger claim and completion), not a handler.
import { z } from 'zod';
import { defineHandler } from '../processor/src/handlers.ts';

export default [defineHandler({ name: 'bench', schema: z.unknown(), handle: () => {} })];
