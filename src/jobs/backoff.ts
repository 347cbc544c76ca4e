/** How long to wait before the next try: `firstMs` after the first failure, `factor` times longer after each. */
export interface Backoff {
  firstMs: number;
  factor: number;
  /** No wait is longer. */
  maxMs: number;
  /** Each wait is spread ±this fraction at random, so failures from many jobs do not come back in step. */
  jitter: number;
}

/** The wait after the `attempt`-th failed attempt (1 for the first); `random` is in [0, 1). */
export function backoffDelay(backoff: Backoff, attempt: number, random: () => number = Math.random): number {
  const base = Math.min(backoff.maxMs, backoff.firstMs * backoff.factor ** Math.max(0, attempt - 1));
  const spread = 1 + backoff.jitter * (2 * random() - 1);
  return Math.round(Math.min(backoff.maxMs, base * spread));
}

export function describeWait(ms: number): string {
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}
