// Whether one build of a server costs more CPU per request than another, beyond what the machine's own run-to-run
// noise explains: each variant's mean and spread over its rounds, the ratio of a candidate to the baseline, and a
// verdict against the noise, measured two ways in the same run: the baseline's own round-to-round spread, and an A/A
// comparison (a second process of the baseline's very code, measured like a candidate: its rounds' spread and how far
// its mean lands from the baseline's). Pure.

export interface Spread {
  mean: number;
  min: number;
  max: number;
  /** Half the range of the rounds, relative to their mean: 0.05 means the rounds lie within about ±5% of it. */
  relative: number;
}

export function spreadOf(values: readonly number[]): Spread {
  if (values.length === 0) throw new Error('spreadOf: no rounds');
  const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
  const [min, max] = [Math.min(...values), Math.max(...values)];
  return { mean, min, max, relative: mean > 0 ? (max - min) / 2 / mean : NaN };
}

export type Verdict = 'within noise' | 'above noise' | 'below noise' | 'too noisy to tell';

/**
 * A band wider than this cannot say "costs nothing measurable": a candidate inside ±15% could still cost 14% more. A
 * ratio beyond the band is still reported above or below it, however wide the band.
 */
export const USEFUL_NOISE = 0.1;

export interface Comparison {
  /** mean(candidate) / mean(baseline). */
  ratio: number;
  /** mean(A/A) / mean(baseline): what a difference of nothing looked like in this run; undefined without an A/A. */
  aaRatio: number | undefined;
  /** The baseline's own round-to-round spread (Spread.relative). */
  baselineSpread: number;
  /** The A/A's round-to-round spread: the same code, so as much the machine's noise as the baseline's. */
  aaSpread: number | undefined;
  /** The band around 1 that the run cannot tell from nothing: the largest of the two spreads and |A/A - 1|. */
  noise: number;
  verdict: Verdict;
}

/** The candidate's CPU per request against the baseline's, each a list of per-round values from interleaved rounds. */
export function compare(baseline: readonly number[], candidate: readonly number[], aa?: readonly number[]): Comparison {
  const base = spreadOf(baseline);
  const ratio = spreadOf(candidate).mean / base.mean;
  const twin = aa && aa.length > 0 ? spreadOf(aa) : undefined;
  const aaRatio = twin ? twin.mean / base.mean : undefined;
  // An A/A whose mean happens to land on the baseline's says little if its own rounds scatter: both count.
  const noise = Math.max(base.relative, twin?.relative ?? 0, aaRatio === undefined ? 0 : Math.abs(aaRatio - 1));
  return { ratio, aaRatio, baselineSpread: base.relative, aaSpread: twin?.relative, noise, verdict: verdictOf(ratio, noise) };
}

function verdictOf(ratio: number, noise: number): Verdict {
  // Anything unmeasurable (NaN) is never "within noise" nor cheaper: a verdict must rest on numbers.
  if (Number.isNaN(ratio) || Number.isNaN(noise)) return 'above noise';
  if (Math.abs(ratio - 1) > noise) return ratio > 1 ? 'above noise' : 'below noise';
  return noise > USEFUL_NOISE ? 'too noisy to tell' : 'within noise';
}
