import OpenAI from 'openai';
import { runAnalysis, type AnalysisSettings } from '../analysis';
import type { Config } from '../config';
import { JobWorker, type Backoff } from '../jobs';
import type { Logger } from '../log';
import type { AnalysisResult, CallStore, NewDelivery } from '../store';
import { callAnalyzedEvent, callEndedEvent, deliveryOf, runDelivery } from '../webhooks';
import type { WebhookSettings } from './settings';

export { analysisSettings, webhookSettings, type AfterCallEnv, type WebhookSettings } from './settings';

export interface AfterCallDeps {
  config: Pick<Config, 'analysis' | 'webhooks' | 'openai'>;
  store: CallStore;
  log: Logger;
  /** The text model's API; by default the openai SDK on OPENAI_API_KEY and OPENAI_BASE_URL. */
  openai?: OpenAI;
  /** How often idle workers look for due jobs; retries wait at least this long past their time. */
  pollMs?: number;
  analysisBackoff?: Backoff;
  webhookPolicy?: { backoff: Backoff; giveUpAfterMs: number };
}

export interface AfterCall {
  /** Queues the call's `call.ended` delivery and its analysis, as configured. Never rejects: a failure is logged. */
  callEnded(callSid: string): Promise<void>;
  /** Stops claiming jobs; resolves once the attempts in hand have finished (or timed out). */
  stop(): Promise<void>;
}

/** Analyses and deliveries worked on at once by each instance. */
const ANALYSIS_CONCURRENCY = 2;
const DELIVERY_CONCURRENCY = 4;
const POLL_MS = 5_000;
/** A lease outlasts an attempt's timeout by this much, so a live holder never loses its job. */
const LEASE_MARGIN_MS = 60_000;

/** The `call.analyzed` delivery a finished analysis leads to, when webhooks are on. */
export function analysisFollowUps(webhooks: WebhookSettings | undefined): ((callSid: string, result: AnalysisResult, now: number) => NewDelivery[]) | undefined {
  return webhooks && ((callSid, result, now) => [deliveryOf(callAnalyzedEvent(callSid, result, now), now)]);
}

/** The text model's client: no SDK retries (the job retries, visibly). */
export function analysisClient(config: Pick<Config, 'openai'>): OpenAI {
  return new OpenAI({ apiKey: config.openai.apiKey, baseURL: config.openai.baseURL, maxRetries: 0 });
}

/**
 * The work after a call: queued in the records when a call ends, and done by workers apart from any call, so a slow
 * model or a dead receiver never holds a call up. Each instance runs workers; the records hand each job to one.
 */
export function startAfterCall(deps: AfterCallDeps): AfterCall {
  const { config, store, log } = deps;
  const pollMs = deps.pollMs ?? POLL_MS;
  const deliveries = config.webhooks && deliveryWorker(config.webhooks, deps, pollMs);
  const analyses = config.analysis && analysisWorker(config.analysis, deps, pollMs, () => deliveries?.wake());

  return {
    async callEnded(callSid) {
      try {
        if (!deliveries && !analyses) return;
        const call = await store.get(callSid);
        if (!call) return;
        const now = Date.now();
        if (config.webhooks) {
          await store.enqueueDelivery(deliveryOf(callEndedEvent(call, config.webhooks.includeTranscript, now), now));
          deliveries?.wake();
        }
        // A call where nothing was said has nothing to analyse.
        if (config.analysis && call.transcript.length > 0) {
          await store.requestAnalysis(callSid, now);
          analyses?.wake();
        }
      } catch (err) {
        log.error('could not queue the work after the call', { callSid, error: (err as Error).message });
      }
    },
    async stop() {
      await Promise.all([analyses?.stop(), deliveries?.stop()]);
    },
  };
}

function analysisWorker(settings: AnalysisSettings, deps: AfterCallDeps, pollMs: number, delivered: () => void): JobWorker<unknown> {
  const { store, log } = deps;
  const client = deps.openai ?? analysisClient(deps.config);
  const followUps = analysisFollowUps(deps.config.webhooks);
  return new JobWorker({
    claim: (now, lease) => store.claimAnalysis(now, lease),
    run: async (claim) => {
      const outcome = await runAnalysis(claim, { store, client, settings, followUps, backoff: deps.analysisBackoff });
      const fields = { callSid: claim.callSid, attempt: claim.attempt };
      if (outcome.status === 'done') {
        log.info('call analysed', { ...fields, model: settings.model, costUsd: outcome.result.costUsd });
        delivered();
      } else if (outcome.status === 'pending') log.warn('call analysis failed; it will be tried again', { ...fields, error: outcome.error });
      else if (outcome.status === 'failed') log.error('call analysis failed', { ...fields, error: outcome.error });
      else log.warn('call analysis was taken over by another worker; its result was dropped', fields);
    },
    leaseMs: settings.timeoutMs + LEASE_MARGIN_MS,
    concurrency: ANALYSIS_CONCURRENCY,
    pollMs,
    onError: (err) => log.error('call analysis worker failed', { error: err.message }),
  }).start();
}

function deliveryWorker(settings: WebhookSettings, deps: AfterCallDeps, pollMs: number): JobWorker<unknown> {
  const { store, log } = deps;
  return new JobWorker({
    claim: (now, lease) => store.claimDelivery(now, lease),
    run: async (claim) => {
      const outcome = await runDelivery(claim, { store, target: settings, policy: deps.webhookPolicy });
      const fields = { callSid: claim.callSid, event: claim.eventType, webhookId: claim.id, attempt: claim.attempt };
      if (outcome.status === 'done') log.info('webhook delivered', fields);
      else if (outcome.status === 'pending') log.warn('webhook delivery failed; it will be tried again', { ...fields, error: outcome.error });
      else if (outcome.status === 'failed') log.error('webhook delivery given up', { ...fields, error: outcome.error });
      else log.warn('webhook delivery was taken over by another worker', fields);
    },
    leaseMs: settings.timeoutMs + LEASE_MARGIN_MS,
    concurrency: DELIVERY_CONCURRENCY,
    pollMs,
    onError: (err) => log.error('webhook worker failed', { error: err.message }),
  }).start();
}
