import type {
  ConversationItemInputAudioTranscriptionCompletedEvent,
  RealtimeResponseUsage,
} from 'openai/resources/realtime/realtime';
import type { ModelPrices } from '../config';
import { BUILT_IN_PRICES, modelFamily, TRANSCRIPTION_USD_PER_1M, TRANSCRIPTION_USD_PER_MINUTE } from '../realtime/models';
import type { TokenUsage } from './types';

export { BUILT_IN_PRICES, TRANSCRIPTION_USD_PER_1M, TRANSCRIPTION_USD_PER_MINUTE };

/**
 * Token accounting and cost estimates (prices: src/realtime/models.ts).
 *
 * How `TokenUsage` counts input: `audioIn` and `textIn` are the UNCACHED input tokens; `audioInCached` and
 * `textInCached` are the cached ones. The API reports cached tokens as a subset of its input tokens, so
 * `addResponseUsage` subtracts them: audio input billed = audioIn + audioInCached, with no token counted twice,
 * and the cost is a plain sum of tokens × price for each kind.
 */

export function emptyUsage(): TokenUsage {
  return {
    audioIn: 0,
    audioInCached: 0,
    textIn: 0,
    textInCached: 0,
    audioOut: 0,
    textOut: 0,
    transcription: 0,
    transcriptionSeconds: 0,
  };
}

/** `total` plus one `response.done`'s usage, as a new object. Cached tokens are moved out of the input counts. */
export function addResponseUsage(total: TokenUsage, usage: RealtimeResponseUsage | undefined): TokenUsage {
  const input = usage?.input_token_details ?? {};
  const output = usage?.output_token_details ?? {};
  const audioIn = input.audio_tokens ?? 0;
  const textIn = input.text_tokens ?? 0;
  const cached = input.cached_tokens ?? 0;
  const details = input.cached_tokens_details;
  // Without a breakdown, share the cached tokens out in proportion to the input (an estimate, never > input).
  const cachedAudio = details
    ? (details.audio_tokens ?? 0)
    : audioIn + textIn > 0
      ? Math.round((cached * audioIn) / (audioIn + textIn))
      : 0;
  const cachedText = details ? (details.text_tokens ?? 0) : cached - cachedAudio;
  const audioInCached = clamp(cachedAudio, audioIn);
  const textInCached = clamp(cachedText, textIn);
  return {
    ...total,
    audioIn: total.audioIn + audioIn - audioInCached,
    audioInCached: total.audioInCached + audioInCached,
    textIn: total.textIn + textIn - textInCached,
    textInCached: total.textInCached + textInCached,
    audioOut: total.audioOut + (output.audio_tokens ?? 0),
    textOut: total.textOut + (output.text_tokens ?? 0),
  };
}

/**
 * `total` plus one input transcription's usage, as a new object: tokens (input and output) for models billed by
 * tokens, seconds of audio for models billed by duration.
 */
export function addTranscriptionUsage(
  total: TokenUsage,
  usage: ConversationItemInputAudioTranscriptionCompletedEvent['usage'] | undefined,
): TokenUsage {
  if (usage?.type === 'duration') {
    return { ...total, transcriptionSeconds: total.transcriptionSeconds + Math.max(0, usage.seconds ?? 0) };
  }
  const tokens = usage?.type === 'tokens' ? (usage.input_tokens ?? 0) + (usage.output_tokens ?? 0) : 0;
  return { ...total, transcription: total.transcription + Math.max(0, tokens) };
}

/**
 * The prices for a model: an override first, then the built-in table; a dated snapshot
 * (gpt-realtime-mini-2025-10-06) falls back to its family (gpt-realtime-mini). Undefined when unknown.
 */
export function pricesFor(model: string, overrides: Record<string, ModelPrices> = {}): ModelPrices | undefined {
  const family = modelFamily(model);
  return overrides[model] ?? BUILT_IN_PRICES[model] ?? overrides[family] ?? BUILT_IN_PRICES[family];
}

/**
 * Estimated USD for a call's usage on `model`, transcription included. An unknown model costs 0: check
 * `pricesFor(model)` once at start and log it, so the operator can add the model to PRICES_FILE.
 */
export function estimateCostUsd(model: string, usage: TokenUsage, overrides?: Record<string, ModelPrices>): number {
  const prices = pricesFor(model, overrides);
  if (!prices) return 0;
  const micro =
    usage.audioIn * prices.audioIn +
    usage.audioInCached * prices.audioInCached +
    usage.textIn * prices.textIn +
    usage.textInCached * prices.textInCached +
    usage.audioOut * prices.audioOut +
    usage.textOut * prices.textOut +
    usage.transcription * TRANSCRIPTION_USD_PER_1M;
  return micro / 1_000_000 + (usage.transcriptionSeconds / 60) * TRANSCRIPTION_USD_PER_MINUTE;
}

function clamp(value: number, max: number): number {
  return Math.max(0, Math.min(value, max));
}
