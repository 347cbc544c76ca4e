/** Percentiles and summaries for the load tool. Pure functions. */

export interface Summary {
  n: number;
  min: number;
  p1: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/**
 * The q-th percentile (0–100) of `sorted` (ascending), interpolated linearly between the closest ranks (numpy's
 * default), so p50 of an even count is the midpoint. NaN for no values.
 */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  if (!(q >= 0 && q <= 100)) throw new RangeError(`percentile must be within 0–100, got ${q}`);
  const rank = (q / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}

/** n, min, p1, p50, p90, p99, max and mean of `values` (any order; non-finite values are left out). */
export function summarize(values: Iterable<number>): Summary {
  const sorted = Float64Array.from([...values].filter(Number.isFinite)).sort();
  const list = Array.from(sorted);
  const n = list.length;
  let sum = 0;
  for (const v of list) sum += v;
  return {
    n,
    min: n ? list[0]! : NaN,
    p1: percentile(list, 1),
    p50: percentile(list, 50),
    p90: percentile(list, 90),
    p99: percentile(list, 99),
    max: n ? list[n - 1]! : NaN,
    mean: n ? sum / n : NaN,
  };
}

/** The median of a few numbers (NaN for none). */
export function median(values: readonly number[]): number {
  return percentile([...values].sort((a, b) => a - b), 50);
}
