import type { OpenAI } from 'openai';
import type { Backoff } from '../jobs';
import type { AnalysisResult, AnalysisSettlement, CallStore, ClaimedAnalysis, NewDelivery } from '../store';
import { askModel, asFailure, AnalysisFailure } from './model';
import { analysisCostUsd, type TextModelPrices } from './prices';
import { analysisPrompt } from './prompt';
import { ANALYSIS_BACKOFF, afterFailedAnalysis } from './retry';
import type { JsonSchema } from './schema';

export interface AnalysisSettings {
  model: string;
  /** The operator's fields (ANALYSIS_SCHEMA_FILE) or the default ones. */
  fieldsSchema: JsonSchema;
  timeoutMs: number;
  maxAttempts: number;
  /** Undefined: the cost reads 0. */
  prices: TextModelPrices | undefined;
}

export interface AnalysisDeps {
  store: CallStore;
  client: OpenAI;
  settings: AnalysisSettings;
  /** Deliveries a finished analysis leads to (the call.analyzed webhook), kept in the same transaction as its result. */
  followUps?: (callSid: string, result: AnalysisResult, now: number) => NewDelivery[];
  backoff?: Backoff;
  now?: () => number;
  random?: () => number;
}

/** How an attempt ended; `lost` when another holder took the job meanwhile, so nothing was written. */
export type AnalysisOutcome = AnalysisSettlement | { status: 'lost' };

/** One attempt at a claimed analysis: reads the call as heard, asks the model, and settles the job. Never rejects on the model's failures. */
export async function runAnalysis(claim: ClaimedAnalysis, deps: AnalysisDeps): Promise<AnalysisOutcome> {
  const now = deps.now ?? Date.now;
  const settlement = await attempt(claim, deps, now);
  const settled = await deps.store.settleAnalysis(claim, settlement, now());
  return settled ? settlement : { status: 'lost' };
}

async function attempt(claim: ClaimedAnalysis, deps: AnalysisDeps, now: () => number): Promise<AnalysisSettlement> {
  const { settings } = deps;
  try {
    const call = await deps.store.get(claim.callSid);
    if (!call) throw new AnalysisFailure('the call is not on record any more', false);
    if (call.transcript.length === 0) throw new AnalysisFailure('nothing was said on this call: there is no transcript to analyse', false);
    const answer = await askModel(deps.client, settings, analysisPrompt(call));
    const result: AnalysisResult = { model: settings.model, ...answer, costUsd: analysisCostUsd(answer.usage, settings.prices) };
    return { status: 'done', result, deliveries: deps.followUps?.(claim.callSid, result, now()) ?? [] };
  } catch (err) {
    const failure = asFailure(err);
    return afterFailedAnalysis(failure, claim.attempt, now(), { maxAttempts: settings.maxAttempts, backoff: deps.backoff ?? ANALYSIS_BACKOFF }, deps.random);
  }
}
