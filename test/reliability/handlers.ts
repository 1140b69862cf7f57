// The handlers the reliability scenarios run in a real processor process. Each run counts itself (runs may repeat:
// delivery is at least once), and applies its effect idempotently, keyed by the delivery id, as a handler should:
// so "processed twice in effect" is visible as an effect document with more than one application.
import { FieldValue } from '@google-cloud/firestore';
import { z } from 'zod';
import { defineHandler, type HandlerServices } from '../../processor/src/handlers.ts';

export default function handlers({ firestore, env }: HandlerServices) {
  const failRate = Number(env.RELIABILITY_FAIL_RATE ?? 0);
  const delayMs = Number(env.RELIABILITY_DELAY_MS ?? 0);
  const collection = firestore.collection(env.RELIABILITY_EFFECTS ?? 'reliability-effects');
  return [
    defineHandler({
      name: 'effects',
      schema: z.looseObject({ id: z.string() }),
      async handle(event) {
        const ref = collection.doc(event.deliveryId);
        await ref.set({ runs: FieldValue.increment(1) }, { merge: true });
        if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs * Math.random()));
        if (Math.random() < failRate) throw new Error('transient failure (injected)');
        await firestore.runTransaction(async (tx) => {
          const snapshot = await tx.get(ref);
          const applied = (snapshot.data()?.applied as number | undefined) ?? 0;
          // The effect: applied once per delivery id; a second application would show as applied = 2.
          if (applied === 0) tx.set(ref, { applied: 1, appliedAt: new Date() }, { merge: true });
          else tx.set(ref, { reapplied: FieldValue.increment(1) }, { merge: true });
        });
      },
    }),
  ];
}
