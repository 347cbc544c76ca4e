import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { RealtimeReasoningEffort } from 'openai/resources/realtime/realtime';
import { z } from 'zod';
import { analysisSettings, webhookSettings, type WebhookSettings } from './afterCall/settings';
import type { AnalysisSettings } from './analysis';
import {
  REASONING_EFFORTS,
  takesReasoningEffort,
  takesTranscriptionDelay,
  TRANSCRIPTION_DELAYS,
  TRANSCRIPTION_MODELS,
  TURN_DETECTIONS,
  VAD_EAGERNESSES,
  VOICES,
  type TranscriptionDelay,
  type VadEagerness,
} from './realtime/models';

/** Every setting the process reads, with its default. Errors name the variable. */

const DEFAULT_INSTRUCTIONS = [
  'You are a friendly, concise receptionist answering the phone.',
  'Speak naturally, in short sentences, as a person would on a call.',
  'If you did not catch something, ask the caller to repeat it.',
].join(' ');

const DEFAULT_GREETING = 'Hello! Thanks for calling. How can I help you today?';

/** English names of languages, e.g. es → Spanish; undefined for a code that names no language. */
const languageNames = new Intl.DisplayNames(['en'], { type: 'language', fallback: 'none' });

/** An unset variable and an empty one both mean "use the default", except where empty has its own meaning. */
const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const integer = (fallback: number, min: number, max: number) =>
  optionalText.pipe(z.coerce.number<string | undefined>().int().min(min).max(max).default(fallback));

const decimal = (fallback: number, min: number, max: number) =>
  optionalText.pipe(z.coerce.number<string | undefined>().min(min).max(max).default(fallback));

const httpsUrl = optionalText.pipe(
  z
    .url({ protocol: /^https$/, error: 'must be an https:// URL, e.g. https://your-domain.ngrok.app' })
    .transform((v) => v.replace(/\/+$/, ''))
    .optional(),
);

const flag = (fallback: boolean) =>
  optionalText.pipe(
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
      .transform((v) => ['true', '1', 'yes'].includes(v))
      .default(fallback),
  );

/** USD per 1M tokens, by kind. */
const ModelPricesSchema = z.object({
  audioIn: z.number().min(0),
  audioInCached: z.number().min(0),
  textIn: z.number().min(0),
  textInCached: z.number().min(0),
  audioOut: z.number().min(0),
  textOut: z.number().min(0),
});
export type ModelPrices = z.infer<typeof ModelPricesSchema>;
const PricesSchema = z.record(z.string(), ModelPricesSchema);

const phoneNumber = z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be a phone number in E.164 form, e.g. +14155550123');

/** Where transfer_call may send the caller, by name; the model reads the descriptions. */
const TransferDirectorySchema = z
  .record(
    z.string().regex(/^[\w -]{1,64}$/),
    z.object({
      number: phoneNumber,
      description: z.string().trim().refine((v) => v !== '', 'must say who answers there'),
    }),
    {
      error: (issue) =>
        issue.code === 'invalid_key' ? 'must be a name of 1-64 letters, digits, spaces, _ or -' : undefined,
    },
  )
  .refine((directory) => Object.keys(directory).length > 0, 'must list at least one destination');

/** Express's names for address ranges, then single addresses and CIDR ranges. */
const PROXY_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);
const isProxyAddress = (item: string) => {
  const [address, bits, extra] = item.split('/');
  const family = isIP(address);
  const maxBits = family === 6 ? 128 : 32;
  return family !== 0 && extra === undefined && (bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= maxBits));
};

/** Which proxies in front of the server to believe about the client's address: a hop count, or addresses. */
const trustProxy = optionalText.pipe(
  z
    .string()
    .default('loopback')
    .transform((v) => (/^\d+$/.test(v) ? Number(v) : v.split(',').map((item) => item.trim()).filter(Boolean).join(', ')))
    .refine(
      (v) => typeof v === 'number' || v.split(', ').every((item) => PROXY_RANGES.has(item) || isProxyAddress(item)),
      'must be a number of proxy hops, or a comma list of loopback, linklocal, uniquelocal, addresses and CIDR ranges (e.g. loopback, 10.0.0.0/8)',
    ),
);

const EnvSchema = z.object({
  PORT: integer(3000, 0, 65535),
  TRUST_PROXY: trustProxy,
  // Unset: /metrics is on PORT behind the admin token.
  METRICS_PORT: optionalText.pipe(z.coerce.number<string | undefined>().int().min(1).max(65535).optional()),
  PUBLIC_URL: httpsUrl,
  TWILIO_ACCOUNT_SID: optionalText.pipe(
    z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'must look like AC followed by 32 hex characters').optional(),
  ),
  TWILIO_AUTH_TOKEN: optionalText,
  OPENAI_API_KEY: z
    .string({ error: 'is required: your OpenAI API key (sk-...)' })
    .trim()
    .min(1, 'is required: your OpenAI API key (sk-...)'),
  OPENAI_BASE_URL: optionalText.pipe(
    z
      .url({ error: 'must be a URL such as https://api.openai.com/v1', abort: true })
      .refine(
        (v) => v.startsWith('https:') || (v.startsWith('http:') && isLoopback(v)),
        'must be https:// (http:// only on this machine): the API key travels with every request',
      )
      .optional(),
  ),
  // Not checked against a list: new snapshots and compatible endpoints name models the SDK does not know yet.
  OPENAI_REALTIME_MODEL: optionalText.pipe(z.string().default('gpt-realtime-2.1')),
  // Sent only to the models that take it. Low answers fast enough for a phone call (docs/models.md).
  REASONING_EFFORT: optionalText.pipe(z.enum(REASONING_EFFORTS).default('low')),
  AGENT_INSTRUCTIONS: optionalText,
  AGENT_INSTRUCTIONS_FILE: optionalText,
  AGENT_NAME: optionalText.pipe(z.string().default('Receptionist')),
  AGENT_VOICE: optionalText.pipe(z.enum(VOICES).default('marin')),
  AGENT_LANGUAGE: optionalText.pipe(
    z
      .string()
      .refine(
        (v) => /^[a-z]{2}$/.test(v) && languageNames.of(v) !== undefined,
        'must be a two-letter ISO-639-1 language code, e.g. en, es, de or fr',
      )
      .transform((code) => ({ code, name: languageNames.of(code)! }))
      .optional(),
  ),
  // Unset means the default greeting; set-but-empty means "wait for the caller to speak first".
  AGENT_GREETING: z
    .string()
    .optional()
    .transform((v) => (v === undefined ? DEFAULT_GREETING : v.trim())),
  AUDIO_MODE: optionalText.pipe(z.enum(['pcm16', 'hybrid', 'passthrough']).default('pcm16')),
  TURN_DETECTION: optionalText.pipe(z.enum(TURN_DETECTIONS).default('server_vad')),
  // semantic_vad only; its default is applied in loadConfig, so that setting it with server_vad can be refused.
  VAD_EAGERNESS: optionalText.pipe(z.enum(VAD_EAGERNESSES).optional()),
  VAD_THRESHOLD: decimal(0.5, 0, 1),
  VAD_PREFIX_PADDING_MS: integer(300, 0, 5000),
  VAD_SILENCE_MS: integer(500, 100, 5000),
  NOISE_REDUCTION: optionalText.pipe(z.enum(['near_field', 'far_field', 'off']).default('near_field')),
  LOCAL_BARGE_IN: flag(true),
  CALLER_SILENCE_BATCH_MS: integer(100, 20, 200),
  EARLY_MODEL_SESSION: flag(true),
  // Unset means the default model; set-but-empty means "no transcription".
  TRANSCRIPTION_MODEL: z
    .string()
    .optional()
    .transform((v) => (v === undefined ? 'gpt-realtime-whisper' : v.trim()))
    .pipe(z.enum([...TRANSCRIPTION_MODELS, ''])),
  TRANSCRIPTION_LANGUAGE: optionalText,
  // Unset: the API's default.
  TRANSCRIPTION_DELAY: optionalText.pipe(z.enum(TRANSCRIPTION_DELAYS).optional()),
  TWILIO_SKIP_SIGNATURE_CHECK: flag(false),
  MAX_CALL_SECONDS: integer(1800, 30, 24 * 3600),
  IDLE_TIMEOUT_SECONDS: integer(30, 5, 3600),
  MAX_CONCURRENT_CALLS: integer(20, 1, 10_000),
  DRAIN_TIMEOUT_SECONDS: integer(30, 0, 3600),
  DRAIN_NOTICE_SECONDS: integer(0, 0, 600),
  // Relative to the working directory; a missing folder means no tools of your own.
  TOOLS_DIR: optionalText.pipe(z.string().default('tools')),
  TOOL_TIMEOUT_MS: integer(8000, 100, 60_000),
  DISABLED_TOOLS: optionalText.transform((v) => (v ? v.split(',').map((name) => name.trim()).filter(Boolean) : [])),
  TRANSFER_NUMBER: optionalText.pipe(phoneNumber.optional()),
  TRANSFER_DIRECTORY_FILE: optionalText,
  OUTBOUND_FROM: optionalText.pipe(phoneNumber.optional()),
  OUTBOUND_ALLOWED_PREFIXES: optionalText.pipe(
    z
      .string()
      .transform((v) => v.split(',').map((prefix) => prefix.trim()).filter(Boolean))
      .superRefine((prefixes, ctx) => {
        const bad = prefixes.filter((prefix) => !/^\+[1-9]\d{0,14}$/.test(prefix));
        if (bad.length > 0) ctx.addIssue({ code: 'custom', message: `must be number prefixes such as +1,+44 or +1415 (not ${bad.join(', ')})` });
      })
      .optional(),
  ),
  DATABASE_PATH: optionalText.pipe(z.string().default('data/calls.db')),
  // Set: PostgreSQL, shared by every instance; the message never repeats the URL (it holds a password).
  DATABASE_URL: optionalText.pipe(
    z
      .string()
      .regex(/^postgres(ql)?:\/\/\S+$/, 'must be a postgres:// URL, e.g. postgres://agent:secret@db.internal:5432/calls')
      .optional(),
  ),
  DATABASE_POOL_SIZE: integer(10, 1, 1000),
  // Unset: recordings/ beside DATABASE_PATH.
  RECORDINGS_DIR: optionalText,
  RECORD_CALLS: flag(false),
  RETENTION_DAYS: integer(0, 0, 36500),
  PRICES_FILE: optionalText,
  ADMIN_TOKEN: optionalText.pipe(z.string().min(16, 'must be at least 16 characters').optional()),
  STREAM_TOKEN_SECRET: optionalText.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
  INSTANCE_ID: optionalText.pipe(z.string().max(200).optional()),
  LOG_LEVEL: optionalText.pipe(z.enum(['error', 'warn', 'info', 'debug', 'silent']).default('info')),
  LOG_FORMAT: optionalText.pipe(z.enum(['json', 'pretty']).optional()),
  LOG_TRANSCRIPTS: flag(false),
  // After a call (docs/insights.md): its analysis by a text model, and webhooks about it.
  ANALYSIS_MODEL: optionalText,
  ANALYSIS_SCHEMA_FILE: optionalText,
  ANALYSIS_TIMEOUT_SECONDS: integer(60, 5, 600),
  ANALYSIS_MAX_ATTEMPTS: integer(4, 1, 10),
  ANALYSIS_INPUT_USD_PER_1M: optionalText.pipe(z.coerce.number<string | undefined>().min(0).optional()),
  ANALYSIS_CACHED_INPUT_USD_PER_1M: optionalText.pipe(z.coerce.number<string | undefined>().min(0).optional()),
  ANALYSIS_OUTPUT_USD_PER_1M: optionalText.pipe(z.coerce.number<string | undefined>().min(0).optional()),
  WEBHOOK_URL: optionalText.pipe(
    z
      .url({ error: 'must be a URL such as https://hooks.example.com/calls', abort: true })
      .refine(
        (v) => v.startsWith('https:') || (v.startsWith('http:') && isLoopback(v)),
        'must be https:// (http:// only on this machine): the events carry call records',
      )
      .optional(),
  ),
  WEBHOOK_SECRET: optionalText,
  WEBHOOK_INCLUDE_TRANSCRIPT: flag(false),
  WEBHOOK_TIMEOUT_SECONDS: integer(10, 1, 60),
  NODE_ENV: optionalText,
});

/** What the model hears and speaks: PCM16 24 kHz both ways, μ-law in and PCM16 out, or μ-law both ways. */
export type AudioMode = 'pcm16' | 'hybrid' | 'passthrough';

export interface Persona {
  /** A label for call records, e.g. "Ada, dental receptionist". */
  name: string;
  instructions: string;
  /** Where the instructions came from: `default`, `AGENT_INSTRUCTIONS`, or the file's path. */
  instructionsFrom: string;
  voice: string;
  /** Empty: the agent waits for the caller to speak first. */
  greeting: string;
  /** The language the agent speaks unless the caller prefers another; undefined: whatever the instructions say. */
  language: { code: string; name: string } | undefined;
}

/** How the model decides that the caller has finished speaking. */
export type TurnDetection =
  | { type: 'server_vad'; threshold: number; prefixPaddingMs: number; silenceMs: number }
  | { type: 'semantic_vad'; eagerness: VadEagerness };

export interface Config {
  port: number;
  /** /metrics without a token on this port of 127.0.0.1; undefined: on `port`, behind the admin token. */
  metricsPort: number | undefined;
  /**
   * The proxies whose X-Forwarded-For names the client (Express's `trust proxy`): sign-in limits and logs count
   * clients by that address.
   */
  trustProxy: number | string;
  /** Twilio is enabled only when all three are set; otherwise Twilio calls are refused. */
  twilio: { publicUrl: string; accountSid: string; authToken: string; skipSignatureCheck: boolean } | undefined;
  openai: { apiKey: string; baseURL: string | undefined; model: string };
  /** Undefined for a model without a reasoning setting. */
  reasoning: { effort: RealtimeReasoningEffort } | undefined;
  persona: Persona;
  audioMode: AudioMode;
  vad: TurnDetection;
  noiseReduction: 'near_field' | 'far_field' | 'off';
  /** Stop the agent as soon as the caller's own audio shows them talking, before the model confirms it. */
  localBargeIn: boolean;
  /** While nobody talks, the caller's silence goes to the model this many ms at a time (20: every frame). */
  silenceBatchMs: number;
  /** Empty model: input transcription is off. */
  transcription: { model: string; language: string | undefined; delay: TranscriptionDelay | undefined };
  limits: {
    maxCallMs: number;
    idleTimeoutMs: number;
    maxConcurrentCalls: number;
    drainTimeoutMs: number;
    /**
     * On shutdown, how long the server goes on taking calls while /ready already says it is leaving: time for a
     * load balancer to notice and send new calls elsewhere before this instance refuses them.
     */
    drainNoticeMs: number;
    /** A media stream that has not sent `start` this long after connecting is closed. */
    streamStartTimeoutMs: number;
    /** Both websockets are pinged this often; a peer that misses a pong is dead. */
    keepAliveMs: number;
    /** A model session not configured this long after connecting is replaced. */
    modelReadyTimeoutMs: number;
    /** The caller hears the agent, or the apology, at most this long after the stream starts. */
    firstWordsTimeoutMs: number;
    /** Open the model session when the webhook answers, not when the stream starts. */
    earlyModelSession: boolean;
  };
  store: {
    /** The SQLite database, when `databaseUrl` is unset. */
    databasePath: string;
    /** PostgreSQL (postgres://…), for several instances; unset: SQLite at `databasePath`. */
    databaseUrl: string | undefined;
    /** PostgreSQL connections each instance keeps at most. */
    poolSize: number;
    /** A PostgreSQL connection not made by then fails. */
    connectTimeoutMs: number;
    /** Call recordings (WAV files); instances serving the same records must share it. */
    recordingsDir: string;
    recordCalls: boolean;
    /** 0: keep forever. */
    retentionDays: number;
    /** Overrides and additions to the built-in price table, by model name. */
    prices: Record<string, ModelPrices>;
  };
  /** The agent's tools (docs/tools.md). */
  tools: {
    /** Folder of the operator's tool modules. */
    dir: string;
    timeoutMs: number;
    /** A longer tool output is cut before it reaches the model. */
    maxOutputBytes: number;
    /** Tools not offered to the model, built-ins included. */
    disabled: string[];
    /** transfer_call is offered only with a number or a directory. */
    transfer: { number: string | undefined; directory: Record<string, { number: string; description: string }> };
  };
  /** Calls the agent places (POST /api/calls). */
  outbound: {
    /** Caller ID when a call does not name one, E.164. */
    from: string | undefined;
    /** Destinations must start with one of these; undefined: the country calling code of the caller ID. */
    allowedPrefixes: string[] | undefined;
    /** A placed call's persona file must be in this folder (relative to the working directory). */
    personasDir: string;
    /** A placed call holds a call slot from the moment it is placed until it connects or fails, or this long at most. */
    connectTimeoutMs: number;
  };
  /** Credential for the review pages and API; main() generates one per start when unset. */
  adminToken: string | undefined;
  /** Signs stream tokens; instances that answer the same calls must share it. Random per start when unset. */
  streamTokenSecret: Buffer;
  /** This instance among those sharing the records: its calls are its own to recover after a crash. */
  instanceId: string;
  /** Post-call analysis by a text model; undefined without ANALYSIS_MODEL. */
  analysis: AnalysisSettings | undefined;
  /** Signed webhooks about calls; undefined without WEBHOOK_URL. */
  webhooks: WebhookSettings | undefined;
  /** transcripts: what callers and the agent say, and callers' numbers, are logged at info (else only at debug). */
  log: { level: 'error' | 'warn' | 'info' | 'debug' | 'silent'; format: 'json' | 'pretty'; transcripts: boolean };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.') || 'environment'} ${describeIssue(i)}`));
  }
  const e = parsed.data;
  const problems: string[] = [];

  const twilioParts = { PUBLIC_URL: e.PUBLIC_URL, TWILIO_ACCOUNT_SID: e.TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN: e.TWILIO_AUTH_TOKEN };
  const missingTwilio = Object.entries(twilioParts).filter(([, v]) => v === undefined).map(([k]) => k);
  if (missingTwilio.length > 0 && missingTwilio.length < 3) {
    problems.push(`${missingTwilio.join(', ')} must be set too: Twilio calls need PUBLIC_URL, TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN together`);
  }

  let instructions = e.AGENT_INSTRUCTIONS ?? DEFAULT_INSTRUCTIONS;
  let instructionsFrom = e.AGENT_INSTRUCTIONS ? 'AGENT_INSTRUCTIONS' : 'default';
  if (e.AGENT_INSTRUCTIONS_FILE) {
    instructionsFrom = e.AGENT_INSTRUCTIONS_FILE;
    try {
      instructions = readFileSync(e.AGENT_INSTRUCTIONS_FILE, 'utf8').trim();
      if (!instructions) problems.push(`AGENT_INSTRUCTIONS_FILE ${e.AGENT_INSTRUCTIONS_FILE} is empty`);
    } catch (err) {
      problems.push(`AGENT_INSTRUCTIONS_FILE cannot be read: ${(err as Error).message}`);
    }
  }
  if (e.TWILIO_SKIP_SIGNATURE_CHECK && e.NODE_ENV === 'production') {
    problems.push('TWILIO_SKIP_SIGNATURE_CHECK cannot be true when NODE_ENV=production: anyone could place calls on your key');
  }
  if (e.TWILIO_SKIP_SIGNATURE_CHECK && e.PUBLIC_URL && !isLoopback(e.PUBLIC_URL)) {
    problems.push(
      'TWILIO_SKIP_SIGNATURE_CHECK can be true only when PUBLIC_URL is unset or on this machine (localhost, 127.x.x.x, ::1): anyone who reaches PUBLIC_URL could place calls on your key',
    );
  }
  if (e.TRANSCRIPTION_DELAY && !takesTranscriptionDelay(e.TRANSCRIPTION_MODEL)) {
    problems.push('TRANSCRIPTION_DELAY works only with TRANSCRIPTION_MODEL=gpt-realtime-whisper: unset one of them');
  }
  if (e.VAD_EAGERNESS && e.TURN_DETECTION !== 'semantic_vad') {
    problems.push('VAD_EAGERNESS works only with TURN_DETECTION=semantic_vad: unset one of them');
  }
  if (e.METRICS_PORT !== undefined && e.METRICS_PORT === e.PORT) {
    problems.push('METRICS_PORT must differ from PORT: unset it to serve /metrics on PORT behind the admin token');
  }
  const prices = readJsonFile('PRICES_FILE', e.PRICES_FILE, PricesSchema, problems) ?? {};
  const directory =
    readJsonFile('TRANSFER_DIRECTORY_FILE', e.TRANSFER_DIRECTORY_FILE, TransferDirectorySchema, problems) ?? {};
  const analysis = analysisSettings(e, problems);
  const webhooks = webhookSettings(e, problems);
  if (problems.length > 0) throw new ConfigError(problems);

  return {
    port: e.PORT,
    metricsPort: e.METRICS_PORT,
    trustProxy: e.TRUST_PROXY,
    twilio:
      missingTwilio.length === 0
        ? {
            publicUrl: e.PUBLIC_URL!,
            accountSid: e.TWILIO_ACCOUNT_SID!,
            authToken: e.TWILIO_AUTH_TOKEN!,
            skipSignatureCheck: e.TWILIO_SKIP_SIGNATURE_CHECK,
          }
        : undefined,
    openai: { apiKey: e.OPENAI_API_KEY, baseURL: e.OPENAI_BASE_URL, model: e.OPENAI_REALTIME_MODEL },
    reasoning: takesReasoningEffort(e.OPENAI_REALTIME_MODEL) ? { effort: e.REASONING_EFFORT } : undefined,
    persona: {
      name: e.AGENT_NAME,
      instructions,
      instructionsFrom,
      voice: e.AGENT_VOICE,
      greeting: e.AGENT_GREETING,
      language: e.AGENT_LANGUAGE,
    },
    audioMode: e.AUDIO_MODE,
    vad:
      e.TURN_DETECTION === 'semantic_vad'
        ? { type: 'semantic_vad', eagerness: e.VAD_EAGERNESS ?? 'auto' }
        : {
            type: 'server_vad',
            threshold: e.VAD_THRESHOLD,
            prefixPaddingMs: e.VAD_PREFIX_PADDING_MS,
            silenceMs: e.VAD_SILENCE_MS,
          },
    noiseReduction: e.NOISE_REDUCTION,
    localBargeIn: e.LOCAL_BARGE_IN,
    silenceBatchMs: e.CALLER_SILENCE_BATCH_MS,
    transcription: {
      model: e.TRANSCRIPTION_MODEL,
      // AGENT_LANGUAGE is the default hint; TRANSCRIPTION_LANGUAGE overrides it.
      language: e.TRANSCRIPTION_LANGUAGE ?? e.AGENT_LANGUAGE?.code,
      delay: e.TRANSCRIPTION_DELAY,
    },
    limits: {
      maxCallMs: e.MAX_CALL_SECONDS * 1000,
      idleTimeoutMs: e.IDLE_TIMEOUT_SECONDS * 1000,
      maxConcurrentCalls: e.MAX_CONCURRENT_CALLS,
      drainTimeoutMs: e.DRAIN_TIMEOUT_SECONDS * 1000,
      drainNoticeMs: e.DRAIN_NOTICE_SECONDS * 1000,
      streamStartTimeoutMs: 5_000,
      keepAliveMs: 10_000,
      modelReadyTimeoutMs: 5_000,
      firstWordsTimeoutMs: 8_000,
      earlyModelSession: e.EARLY_MODEL_SESSION,
    },
    store: {
      databasePath: e.DATABASE_PATH,
      databaseUrl: e.DATABASE_URL,
      poolSize: e.DATABASE_POOL_SIZE,
      connectTimeoutMs: 10_000,
      recordingsDir: e.RECORDINGS_DIR ?? path.join(path.dirname(e.DATABASE_PATH), 'recordings'),
      recordCalls: e.RECORD_CALLS,
      retentionDays: e.RETENTION_DAYS,
      prices,
    },
    tools: {
      dir: e.TOOLS_DIR,
      timeoutMs: e.TOOL_TIMEOUT_MS,
      maxOutputBytes: 16_384,
      disabled: e.DISABLED_TOOLS,
      transfer: { number: e.TRANSFER_NUMBER, directory },
    },
    outbound: {
      from: e.OUTBOUND_FROM,
      allowedPrefixes: e.OUTBOUND_ALLOWED_PREFIXES,
      personasDir: 'personas',
      // Twilio rings for up to 60 s; queueing and answering machine detection come on top.
      connectTimeoutMs: 120_000,
    },
    adminToken: e.ADMIN_TOKEN,
    streamTokenSecret: e.STREAM_TOKEN_SECRET ? Buffer.from(e.STREAM_TOKEN_SECRET) : randomBytes(32),
    // Two instances may run on one host, on different ports.
    instanceId: e.INSTANCE_ID ?? `${hostname()}:${e.PORT}`,
    analysis,
    webhooks,
    log: {
      level: e.LOG_LEVEL,
      format: e.LOG_FORMAT ?? (e.NODE_ENV === 'production' ? 'json' : 'pretty'),
      transcripts: e.LOG_TRANSCRIPTS,
    },
  };
}

/** The file's JSON as the schema parses it; undefined when unset, or with the problem noted under its variable. */
function readJsonFile<T>(
  variable: string,
  file: string | undefined,
  schema: z.ZodType<T>,
  problems: string[],
): T | undefined {
  if (file === undefined) return undefined;
  try {
    const parsed = schema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0];
    const where = issue.path.length > 0 ? `${issue.path.join('.')} ` : '';
    problems.push(`${variable} ${file}: ${where}${describeIssue(issue)}`);
  } catch (err) {
    problems.push(`${variable} cannot be read as JSON: ${(err as Error).message}`);
  }
  return undefined;
}

/** Whether the URL's host is this machine: localhost, 127.0.0.0/8 or ::1 (the URL parser normalises IP forms). */
function isLoopback(url: string): boolean {
  const host = new URL(url).hostname;
  return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_value') {
    return `must be one of: ${issue.values.map((v) => (v === '' ? '(empty)' : String(v))).join(', ')}`;
  }
  if (issue.code === 'too_small') return `must be at least ${issue.minimum}`;
  if (issue.code === 'too_big') return `must be at most ${issue.maximum}`;
  if (issue.code === 'invalid_type' && issue.expected === 'number') return 'must be a number';
  return issue.message;
}
