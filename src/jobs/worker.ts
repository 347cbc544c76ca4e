import { randomUUID } from 'node:crypto';
import type { JobLease } from '../store';

export interface JobWorkerOptions<Job> {
  /** Takes the job due first, under `lease`; undefined when none is due. */
  claim(now: number, lease: JobLease): Promise<Job | undefined>;
  /** Works on one claimed job and settles it. A rejection is reported to `onError`; the lease then runs out. */
  run(job: Job): Promise<void>;
  /** How long a claim holds: longer than an attempt can take, so a live holder never loses its job. */
  leaseMs: number;
  /** Jobs worked on at once. */
  concurrency: number;
  /** How often an idle slot looks for due jobs (retries come due, other instances queue jobs). */
  pollMs: number;
  onError(err: Error): void;
  now?: () => number;
}

/**
 * Claims jobs from the store and runs them, `concurrency` at a time, apart from any call: a slot claims a job, runs
 * it, and claims the next; with nothing due it waits `pollMs`, or until `wake()` says a job was queued.
 * `stop()` stops claiming and resolves once the jobs in hand have finished.
 */
export class JobWorker<Job> {
  private stopping = false;
  private readonly slots: Promise<void>[] = [];
  private readonly sleepers = new Set<() => void>();
  private readonly now: () => number;

  constructor(private readonly options: JobWorkerOptions<Job>) {
    this.now = options.now ?? Date.now;
  }

  start(): this {
    for (let i = 0; i < this.options.concurrency; i++) this.slots.push(this.slot());
    return this;
  }

  /** Cuts the idle slots' wait short: a job was just queued. */
  wake(): void {
    for (const resume of [...this.sleepers]) resume();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake();
    await Promise.all(this.slots);
  }

  private async slot(): Promise<void> {
    while (!this.stopping) {
      let job: Job | undefined;
      try {
        const now = this.now();
        job = await this.options.claim(now, { leaseId: randomUUID(), until: now + this.options.leaseMs });
      } catch (err) {
        this.options.onError(err as Error);
      }
      if (job === undefined) {
        await this.sleep(this.options.pollMs);
        continue;
      }
      try {
        await this.options.run(job);
      } catch (err) {
        this.options.onError(err as Error);
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const resume = () => {
        clearTimeout(timer);
        this.sleepers.delete(resume);
        resolve();
      };
      const timer = setTimeout(resume, ms);
      timer.unref?.();
      this.sleepers.add(resume);
    });
  }
}
