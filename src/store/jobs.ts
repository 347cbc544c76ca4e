/**
 * Work done after a call, kept with its record: the call's analysis, and the webhook deliveries about it. Each is a
 * job (pending → done or failed) that survives a restart, and that one holder of a lease works on at a time: several
 * instances on one database each claim a different job, and a job whose holder died is claimed again once its lease
 * has run out. Times are epoch milliseconds.
 */

export type JobStatus = 'pending' | 'done' | 'failed';

export const JOB_STATUSES: readonly JobStatus[] = ['pending', 'done', 'failed'];

/** A claim on a job: only its holder may settle the job, and only the latest claim counts. */
export interface JobLease {
  /** Random, one per claim. */
  leaseId: string;
  /** After this the job may be claimed again (its holder is presumed dead). */
  until: number;
}

/** What an attempt leads to: done, another try at `nextAttemptAt`, or given up. */
export type JobRetry = { status: 'pending'; nextAttemptAt: number; error: string };
export type JobFailure = { status: 'failed'; error: string };

/** Tokens an analysis used: uncached input, cached input, output (reasoning included). */
export interface AnalysisUsage {
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
}

/** What the text model made of a call. */
export interface AnalysisResult {
  model: string;
  summary: string;
  /** The operator's fields, as their schema describes them. */
  fields: Record<string, unknown>;
  usage: AnalysisUsage;
  costUsd: number;
}

/** A call's analysis: the job, and once done its result. */
export interface CallAnalysis {
  callSid: string;
  status: JobStatus;
  /** Attempts started so far. */
  attempts: number;
  requestedAt: number;
  /** When a pending analysis is tried next. */
  nextAttemptAt: number;
  lastError?: string;
  finishedAt?: number;
  result?: AnalysisResult;
}

/** An analysis this holder is working on: its `attempt`-th attempt. */
export interface ClaimedAnalysis {
  callSid: string;
  attempt: number;
  requestedAt: number;
  lease: JobLease;
}

export type AnalysisSettlement =
  | { status: 'done'; result: AnalysisResult; deliveries: NewDelivery[] }
  | JobRetry
  | JobFailure;

/** A webhook event to deliver; `id` is its `webhook-id`, the same on every attempt. */
export interface NewDelivery {
  id: string;
  callSid: string;
  eventType: string;
  /** The body, exactly as sent on every attempt. */
  payload: string;
  createdAt: number;
}

/** One try at delivering: when, how long, and the receiver's status or the error. */
export interface DeliveryAttempt {
  at: number;
  durationMs: number;
  httpStatus?: number;
  error?: string;
}

export interface WebhookDelivery {
  id: string;
  callSid: string;
  eventType: string;
  status: JobStatus;
  attempts: number;
  createdAt: number;
  nextAttemptAt: number;
  lastError?: string;
  finishedAt?: number;
  /** Oldest first. */
  attemptLog: DeliveryAttempt[];
}

export interface ClaimedDelivery extends NewDelivery {
  attempt: number;
  lease: JobLease;
}

export type DeliverySettlement = { status: 'done' } | JobRetry | JobFailure;

/** What the call list can be narrowed to by analysis: its status (or none at all), and a field's value. */
export interface AnalysisFilter {
  status?: JobStatus | 'none';
  /** A top-level field of a done analysis, its value compared as text, ignoring case. */
  field?: { name: string; value: string };
}

/** The analysis as a call list shows it. */
export interface AnalysisBrief {
  status: JobStatus;
  costUsd: number;
}

export interface JobStore {
  /**
   * Queues the call's analysis, or queues it again from the start (attempts from 0), due now. With `lease` the
   * caller claims it at once and resolves to the claim; a holder of an earlier claim loses it.
   */
  requestAnalysis(callSid: string, now: number, lease?: JobLease): Promise<ClaimedAnalysis | undefined>;
  /** Claims the analysis due first, if any is due and not held. */
  claimAnalysis(now: number, lease: JobLease): Promise<ClaimedAnalysis | undefined>;
  /**
   * Ends an attempt. Done: the result and the deliveries it leads to are kept in the same transaction. False when
   * the claim was lost (its lease ran out and another took the job, or it was requested again): nothing is written.
   */
  settleAnalysis(claim: ClaimedAnalysis, settlement: AnalysisSettlement, now: number): Promise<boolean>;
  analysisOf(callSid: string): Promise<CallAnalysis | undefined>;
  /** Queues a delivery, due now. */
  enqueueDelivery(delivery: NewDelivery): Promise<void>;
  claimDelivery(now: number, lease: JobLease): Promise<ClaimedDelivery | undefined>;
  /** Records the attempt and what it leads to; false, and nothing written, when the claim was lost. */
  settleDelivery(claim: ClaimedDelivery, attempt: DeliveryAttempt, settlement: DeliverySettlement): Promise<boolean>;
  /** The call's deliveries, oldest first, each with its attempts. */
  deliveriesOf(callSid: string): Promise<WebhookDelivery[]>;
}
