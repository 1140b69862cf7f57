// Globs over event types (`payment_intent.*`, `v?.event`): how handlers pick their events and how the dead-letter
// and ledger listings filter them, the same rule everywhere.

const compiled = new Map<string, RegExp>();

/** Whether `value` matches `glob` whole: `*` any run of characters, `?` one, everything else literal. */
export function globMatches(glob: string, value: string): boolean {
  let pattern = compiled.get(glob);
  if (!pattern) {
    const escaped = glob
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replaceAll('*', '.*')
      .replaceAll('?', '.');
    pattern = new RegExp(`^${escaped}$`);
    compiled.set(glob, pattern);
  }
  return pattern.test(value);
}

/** Whether a filter's event type is a glob, rather than a name an index can look up. */
export const isGlob = (text: string) => text.includes('*') || text.includes('?');
