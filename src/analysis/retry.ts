import { backoffDelay, describeWait, type Backoff } from '../jobs';
import type { JobFailure, JobRetry } from '../store';
import type { AnalysisFailure } from './model';

/** 30 s, 2 min, 8 min … between tries, ±20 %. */
export const ANALYSIS_BACKOFF: Backoff = { firstMs: 30_000, factor: 4, maxMs: 30 * 60_000, jitter: 0.2 };

/**
 * What a failed attempt leads to: another try after the backoff (or the server's Retry-After, when longer) while
 * attempts are left and trying again can help; otherwise the analysis fails, saying why.
 */
export function afterFailedAnalysis(
  failure: AnalysisFailure,
  attempt: number,
  now: number,
  policy: { maxAttempts: number; backoff: Backoff },
  random: () => number = Math.random,
): JobRetry | JobFailure {
  if (!failure.retryable) return { status: 'failed', error: `${failure.message} (not retried: trying again would not help)` };
  if (attempt >= policy.maxAttempts) return { status: 'failed', error: `${failure.message} (attempt ${attempt} of ${policy.maxAttempts}: no more tries)` };
  const waitMs = Math.max(backoffDelay(policy.backoff, attempt, random), failure.retryAfterMs ?? 0);
  return { status: 'pending', nextAttemptAt: now + waitMs, error: `${failure.message} (attempt ${attempt} of ${policy.maxAttempts}; next in ${describeWait(waitMs)})` };
}
