import { AnalysisFailure, afterFailedAnalysis, ANALYSIS_BACKOFF } from '../../src/analysis';
import { backoffDelay, JobWorker } from '../../src/jobs';
import type { JobLease } from '../../src/store';
import { afterDeliveryAttempt, WEBHOOK_BACKOFF, WEBHOOK_GIVE_UP_AFTER_MS } from '../../src/webhooks';

const MIN = 60_000;
const HOUR = 60 * MIN;
const middle = () => 0.5;

describe('backoff', () => {
  it('grows by its factor up to its cap, spread by the jitter', () => {
    const backoff = { firstMs: 1000, factor: 3, maxMs: 20_000, jitter: 0.2 };
    expect([1, 2, 3, 4].map((n) => backoffDelay(backoff, n, middle))).toEqual([1000, 3000, 9000, 20_000]);
    expect(backoffDelay(backoff, 2, () => 0)).toBe(2400);
    expect(backoffDelay(backoff, 2, () => 0.999999)).toBe(3600);
    expect(backoffDelay(backoff, 9, () => 0.999999)).toBe(20_000);
  });
});

describe('the webhook schedule', () => {
  it('retries for a day: 30 s, 1, 2, 4 … min, at most 2 h apart, then gives the delivery up', () => {
    const createdAt = 0;
    let now = createdAt;
    const waits: number[] = [];
    for (let attempt = 1; ; attempt++) {
      const next = afterDeliveryAttempt({ ok: false, error: 'HTTP 500' }, attempt, createdAt, now, undefined, middle);
      if (next.status !== 'pending') {
        expect(next).toEqual({ status: 'failed', error: `HTTP 500 (attempt ${attempt}; given up 24.0 h after the event)` });
        break;
      }
      waits.push(next.nextAttemptAt - now);
      now = next.nextAttemptAt;
    }
    expect(waits.slice(0, 9)).toEqual([30_000, MIN, 2 * MIN, 4 * MIN, 8 * MIN, 16 * MIN, 32 * MIN, 64 * MIN, 2 * HOUR]);
    expect(Math.max(...waits)).toBe(WEBHOOK_BACKOFF.maxMs);
    expect(now).toBeLessThanOrEqual(WEBHOOK_GIVE_UP_AFTER_MS);
    expect(now).toBeGreaterThan(WEBHOOK_GIVE_UP_AFTER_MS - 2 * HOUR);
    expect(waits).toHaveLength(18);
  });

  it('is done at the first 2xx', () => {
    expect(afterDeliveryAttempt({ ok: true }, 5, 0, 10 * HOUR)).toEqual({ status: 'done' });
  });
});

describe('the analysis retry policy', () => {
  const policy = { maxAttempts: 4, backoff: ANALYSIS_BACKOFF };

  it('waits 30 s, 2 min, 8 min, then gives up', () => {
    const failure = new AnalysisFailure('the output is not JSON', true);
    expect(afterFailedAnalysis(failure, 1, 0, policy, middle)).toEqual({ status: 'pending', nextAttemptAt: 30_000, error: 'the output is not JSON (attempt 1 of 4; next in 30 s)' });
    expect(afterFailedAnalysis(failure, 2, 0, policy, middle)).toMatchObject({ nextAttemptAt: 2 * MIN });
    expect(afterFailedAnalysis(failure, 3, 0, policy, middle)).toMatchObject({ nextAttemptAt: 8 * MIN });
    expect(afterFailedAnalysis(failure, 4, 0, policy, middle)).toEqual({ status: 'failed', error: 'the output is not JSON (attempt 4 of 4: no more tries)' });
  });

  it("waits at least as long as a rate limit's Retry-After", () => {
    expect(afterFailedAnalysis(new AnalysisFailure('HTTP 429', true, 5 * MIN), 1, 1000, policy, middle)).toMatchObject({ nextAttemptAt: 1000 + 5 * MIN });
    expect(afterFailedAnalysis(new AnalysisFailure('HTTP 429', true, 10), 1, 1000, policy, middle)).toMatchObject({ nextAttemptAt: 1000 + 30_000 });
  });

  it('does not retry what cannot succeed', () => {
    expect(afterFailedAnalysis(new AnalysisFailure('HTTP 401: bad key', false), 1, 0, policy)).toEqual({ status: 'failed', error: 'HTTP 401: bad key (not retried: trying again would not help)' });
  });
});

describe('the job worker', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  /** A queue of jobs in memory that a worker claims from. */
  function queue(jobs: string[]) {
    const claims: Array<{ now: number; lease: JobLease }> = [];
    return {
      claims,
      claim: async (now: number, lease: JobLease) => {
        claims.push({ now, lease });
        return jobs.shift();
      },
    };
  }

  it('runs what is due, then looks again every poll interval, or at once when woken', async () => {
    const jobs = queue(['a', 'b']);
    const ran: string[] = [];
    const worker = new JobWorker({ claim: jobs.claim, run: async (job) => void ran.push(job), leaseMs: 5000, concurrency: 1, pollMs: 1000, onError: () => {}, now: () => 42 }).start();
    await jest.advanceTimersByTimeAsync(0);
    expect(ran).toEqual(['a', 'b']);
    expect(jobs.claims).toHaveLength(3); // a, b, then none
    expect(jobs.claims[0]).toEqual({ now: 42, lease: { leaseId: expect.any(String), until: 5042 } });
    expect(jobs.claims[0].lease.leaseId).not.toBe(jobs.claims[1].lease.leaseId);

    await jest.advanceTimersByTimeAsync(999);
    expect(jobs.claims).toHaveLength(3);
    await jest.advanceTimersByTimeAsync(1);
    expect(jobs.claims).toHaveLength(4);

    worker.wake();
    await jest.advanceTimersByTimeAsync(0);
    expect(jobs.claims).toHaveLength(5);
    await worker.stop();
  });

  it('on stop, claims nothing more and waits for the jobs in hand', async () => {
    const jobs = queue(['slow', 'next']);
    let finish: () => void = () => {};
    const events: string[] = [];
    const worker = new JobWorker({
      claim: jobs.claim,
      run: (job) => {
        events.push(`start ${job}`);
        return new Promise<void>((resolve) => (finish = () => (events.push(`end ${job}`), resolve())));
      },
      leaseMs: 5000,
      concurrency: 1,
      pollMs: 1000,
      onError: () => {},
    }).start();
    await jest.advanceTimersByTimeAsync(0);
    let stopped = false;
    const stopping = worker.stop().then(() => (stopped = true));
    await jest.advanceTimersByTimeAsync(10_000);
    expect(stopped).toBe(false);
    finish();
    await stopping;
    expect(events).toEqual(['start slow', 'end slow']);
    expect(jobs.claims).toHaveLength(1);
  });

  it('reports a failing claim or run and carries on', async () => {
    const errors: string[] = [];
    let calls = 0;
    const worker = new JobWorker({
      claim: async () => {
        calls++;
        if (calls === 1) throw new Error('database unreachable');
        return calls === 2 ? 'job' : undefined;
      },
      run: async () => {
        throw new Error('bug in the job');
      },
      leaseMs: 5000,
      concurrency: 1,
      pollMs: 100,
      onError: (err) => errors.push(err.message),
    }).start();
    await jest.advanceTimersByTimeAsync(100);
    expect(errors).toEqual(['database unreachable', 'bug in the job']);
    await worker.stop();
  });
});
