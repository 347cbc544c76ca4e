import type {
  AudioTranscription,
  RealtimeAudioInputTurnDetection,
  RealtimeReasoningEffort,
  RealtimeResponse,
} from 'openai/resources/realtime/realtime';
import type { Config, ModelPrices } from '../config';

/**
 * What the program knows about OpenAI's models, in one place for the settings, the session and the cost
 * estimate: the values the SDK lists for each setting, which models take a reasoning effort, shutdown dates and
 * prices. The facts, and what they mean for a phone call: docs/models.md.
 */

/** The named values of an SDK union, without its open-ended `string & {}` member. */
type Named<T> = T extends string ? (string extends T ? never : T) : never;

/**
 * `list`, checked at compile time to hold exactly the values the SDK names for `T`: after an SDK update, a value
 * it added shows here as a `missing` property, a value it dropped as not assignable.
 */
const sdkValues =
  <T>() =>
  <const L extends readonly Named<T>[]>(
    list: L & ([Exclude<Named<T>, L[number]>] extends [never] ? unknown : { missing: Exclude<Named<T>, L[number]> }),
  ): L =>
    list;

export const VOICES = sdkValues<RealtimeResponse.Audio.Output['voice']>()([
  'alloy',
  'ash',
  'ballad',
  'coral',
  'echo',
  'sage',
  'shimmer',
  'verse',
  'marin',
  'cedar',
]);

export const TRANSCRIPTION_MODELS = sdkValues<AudioTranscription['model']>()([
  'whisper-1',
  'gpt-4o-mini-transcribe',
  'gpt-4o-mini-transcribe-2025-12-15',
  'gpt-4o-transcribe',
  'gpt-4o-transcribe-diarize',
  'gpt-realtime-whisper',
]);

export const REASONING_EFFORTS = sdkValues<RealtimeReasoningEffort>()(['minimal', 'low', 'medium', 'high', 'xhigh']);

export const TRANSCRIPTION_DELAYS = sdkValues<AudioTranscription['delay']>()(['minimal', 'low', 'medium', 'high', 'xhigh']);

export type TranscriptionDelay = (typeof TRANSCRIPTION_DELAYS)[number];

export const TURN_DETECTIONS = sdkValues<RealtimeAudioInputTurnDetection['type']>()(['server_vad', 'semantic_vad']);

export const VAD_EAGERNESSES = sdkValues<RealtimeAudioInputTurnDetection.SemanticVad['eagerness']>()([
  'low',
  'medium',
  'high',
  'auto',
]);

export type VadEagerness = (typeof VAD_EAGERNESSES)[number];

/** A model name without its snapshot date: gpt-realtime-mini-2025-12-15 → gpt-realtime-mini. */
export function modelFamily(model: string): string {
  return model.replace(/-\d{4}-\d{2}-\d{2}$/, '');
}

/** Realtime models that take `reasoning.effort`, by family: their dated snapshots take it too. */
const REASONING_FAMILIES: ReadonlySet<string> = new Set(['gpt-realtime-2', 'gpt-realtime-2.1', 'gpt-realtime-2.1-mini']);

export function takesReasoningEffort(model: string): boolean {
  return REASONING_FAMILIES.has(modelFamily(model));
}

/** The one transcription model that takes `delay` (and no `prompt`). */
export function takesTranscriptionDelay(model: string): boolean {
  return modelFamily(model) === 'gpt-realtime-whisper';
}

/** Announced shutdowns, by family (a name matched from its start covers a whole generation), with the successor. */
const SHUTDOWNS: ReadonlyArray<{ family: RegExp; date: string; replacement: string }> = [
  { family: /^gpt-realtime$/, date: '2027-01-20', replacement: 'gpt-realtime-2.1' },
  { family: /^gpt-realtime-mini$/, date: '2027-01-20', replacement: 'gpt-realtime-2.1-mini' },
  { family: /^gpt-4o-(mini-)?(realtime|audio)|^gpt-audio/, date: '2027-01-20', replacement: 'gpt-realtime-2.1' },
  {
    family: /^(whisper-1|gpt-4o-transcribe|gpt-4o-mini-transcribe|gpt-4o-transcribe-diarize)$/,
    date: '2027-02-26',
    replacement: 'gpt-realtime-whisper',
  },
];

export interface StartupWarning {
  level: 'warn' | 'error';
  message: string;
}

/** A warning for each configured model with an announced shutdown; an error once the date has come. */
export function shutdownWarnings(config: Pick<Config, 'openai' | 'transcription'>, today = new Date()): StartupWarning[] {
  const day = today.toISOString().slice(0, 10);
  const settings = [
    ['OPENAI_REALTIME_MODEL', config.openai.model],
    ['TRANSCRIPTION_MODEL', config.transcription.model],
  ] as const;
  return settings.flatMap(([variable, model]) => {
    const shutdown = model ? SHUTDOWNS.find((s) => s.family.test(modelFamily(model))) : undefined;
    if (!shutdown) return [];
    const past = day >= shutdown.date;
    return [
      {
        level: past ? 'error' : 'warn',
        message: `model ${model} ${past ? 'shut' : 'shuts'} down on ${shutdown.date}; set ${variable}=${shutdown.replacement}`,
      },
    ];
  });
}

/** USD per 1M tokens. */
const FULL_MODEL: ModelPrices = { audioIn: 32, audioInCached: 0.4, textIn: 4, textInCached: 0.4, audioOut: 64, textOut: 16 };
const REASONING_MODEL: ModelPrices = { ...FULL_MODEL, textOut: 24 };
const MINI_MODEL: ModelPrices = { audioIn: 10, audioInCached: 0.3, textIn: 0.6, textInCached: 0.06, audioOut: 20, textOut: 2.4 };

/** Realtime model prices by name or family, USD per 1M tokens. PRICES_FILE overrides and extends them. */
export const BUILT_IN_PRICES: Readonly<Record<string, ModelPrices>> = {
  'gpt-realtime': FULL_MODEL,
  'gpt-realtime-1.5': FULL_MODEL,
  'gpt-realtime-2': REASONING_MODEL,
  'gpt-realtime-2.1': REASONING_MODEL,
  'gpt-realtime-mini': MINI_MODEL,
  'gpt-realtime-2.1-mini': MINI_MODEL,
};

/**
 * Input transcription billed by tokens: nearly all audio input, so one flat rate, gpt-4o-mini-transcribe's audio
 * input price, USD per 1M tokens.
 */
export const TRANSCRIPTION_USD_PER_1M = 3;

/** Input transcription billed by the duration of the audio: gpt-realtime-whisper's price, USD per minute. */
export const TRANSCRIPTION_USD_PER_MINUTE = 0.017;
