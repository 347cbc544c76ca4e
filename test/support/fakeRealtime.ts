/**
 * An offline stand-in for the OpenAI Realtime GA websocket server.
 *
 * The product connects to it with the official SDK exactly as in production
 * (`new OpenAIRealtimeWS({ model, options: { ca } }, new OpenAI({ apiKey, baseURL }))`): the SDK forces
 * `wss://<baseURL host>/v1/realtime?model=…`, so this server speaks TLS on 127.0.0.1 with a throwaway
 * self-signed certificate made at start.
 *
 * Every message it sends is typed as the SDK's `RealtimeServerEvent`, every message it receives is read as a
 * `RealtimeClientEvent`, so it cannot drift from the protocol the product is compiled against.
 *
 * What it models (docs/protocols.md):
 * - session.created / session.update → session.updated (partial merge, `session.type` required), rejecting
 *   with `invalid_value` what the real server rejects: an unknown voice, transcription model, reasoning effort
 *   or transcription delay, and a `delay` or `prompt` the transcription model does not take;
 * - input audio in `audio/pcm` 24 kHz, `audio/pcmu` or `audio/pcma` 8 kHz, kept for inspection;
 * - an energy VAD over 20 ms windows standing in for `server_vad` (speech_started/stopped, commit,
 *   input transcription, automatic response, interrupt_response cancelling with `turn_detected`);
 * - input transcription usage in tokens, or in seconds of audio for the whisper models (billed by duration);
 * - responses that stream a sine tone in the session's output format faster than real time, with the
 *   transcript spread across the audio, optionally followed by a function call;
 * - response.cancel, conversation.item.create/delete/retrieve/truncate and the real error shapes.
 *
 * Fault modes (`FakeRealtimeOptions.faults`, decided per connection in `FakeRealtimeServer.acceptUpgrade`):
 * an HTTP error on the upgrade (401 bad key, 429, 500… with OpenAI-style JSON bodies), a reset before the
 * websocket handshake completes, an abrupt drop N ms after opening, an injected `error` event (optionally
 * followed by a close), the 60-minute `session_expired` cap scaled down, responses that all end
 * `failed` as when rate limited, and a session.update rejected or never answered. `stopAccepting()` / `resumeAccepting()` close and reopen the listening
 * socket (ECONNREFUSED) while established sessions carry on. Every fault timer belongs to its session and
 * is cleared when the session closes.
 */
import { EventEmitter } from 'node:events';
import * as https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import WebSocket, { WebSocketServer, type RawData } from 'ws';
import { alaw, mulaw } from 'alawmulaw';
import type {
  ConversationItem,
  RealtimeAudioFormats,
  RealtimeClientEvent,
  RealtimeConversationItemAssistantMessage,
  RealtimeConversationItemFunctionCall,
  RealtimeResponse,
  RealtimeResponseStatus,
  RealtimeResponseUsage,
  RealtimeServerEvent,
  RealtimeSessionCreateRequest,
  ResponseCreateEvent,
} from 'openai/resources/realtime/realtime';
import { localCertificate } from './localCertificate';

// ───────────────────────────── public types ─────────────────────────────

export interface ReplySpec {
  /** The words the assistant "says"; streamed as the audio transcript, spread across the audio. */
  text: string;
  /** The audio is a sine tone at this frequency (amplitude 0.3 FS, 10 ms fade in/out). */
  toneHz: number;
  /** Length of the audio. 0 gives a response without an audio message (e.g. a bare function call). */
  durationMs: number;
  /**
   * Optional (addition to the original brief): after the message, the response also carries a function call
   * item, as the model does when it decides to use a tool.
   */
  functionCall?: { name: string; arguments: string; call_id?: string };
}

export interface FakeRealtimeOptions {
  /** What each response says. Default: a 1.5 s 440 Hz "Hello, how can I help you today?". */
  reply?: (responseIndex: number, request: ResponseCreateEvent | null) => ReplySpec;
  /** Audio deltas are produced this many times faster than real time (default 4). */
  speedup?: number;
  /** Audio per delta in ms (default 100). The last delta of a 24 kHz response is never a multiple of 3 samples. */
  deltaMs?: number;
  /** Canned input transcription for each user turn (default 'I would like some help.'). */
  callerTranscript?: (turnIndex: number) => string;
  /** Energy VAD threshold per 20 ms window of decoded input, in dBFS (default -40). */
  vadThresholdDbfs?: number;
  /** The VAD reports speech (and cancels a response it interrupts) this many ms late: a slow link. */
  speechStartedDelayMs?: number;
  /** Real-time delay before an input transcription arrives after the commit (default 30 ms). */
  transcriptionDelayMs?: number;
  /**
   * Fault hook (addition): decide per upgrade request whether to refuse it with an HTTP status (e.g. 401).
   * Return undefined to accept.
   */
  refuseUpgrade?: (request: UpgradeInfo) => { status: number; body?: string } | undefined;
  /**
   * Fault plan per connection: called once for every upgrade attempt with its 0-based index on this server
   * (the same as `UpgradeInfo.attempt`). Return undefined for a healthy connection. Applied after the
   * built-in path/model checks and after `refuseUpgrade`.
   */
  faults?: (connectionIndex: number, request: UpgradeInfo) => SessionFaults | undefined;
}

/** What can go wrong with one connection. Several may be combined (the first to fire wins). */
export interface SessionFaults {
  /**
   * Answer the upgrade with this HTTP status. `body` is sent verbatim (JSON expected); by default an
   * OpenAI-style body for the status (`openAIErrorBody`), e.g. 401 → `invalid_api_key`.
   */
  refuse?: { status: number; body?: string };
  /** Accept TCP + TLS and read the upgrade request, then destroy the socket: no HTTP answer at all. */
  reset?: true;
  /** Abrupt termination (no close frame, the client sees 1006) this many ms after the session opened. */
  dropAfterMs?: number;
  /**
   * Send an `error` event this many ms after the session opened; with `close`, close the socket right after
   * (true → 1011, or the given code, e.g. 1000).
   */
  errorAfterMs?: { afterMs: number; code: string; message: string; type?: string; close?: boolean | number };
  /**
   * The 60-minute cap scaled down: after this many ms send the real `session_expired` error and close the
   * connection (1000). `session.created` carries the matching `expires_at`.
   */
  expireAfterMs?: number;
  /**
   * Every response fails at once, as when rate limited: `response.created`, then `response.done` with
   * status `failed`, no output and zero usage. `true` uses `RATE_LIMITED_RESPONSE_ERROR`.
   */
  rateLimitResponses?: true | { type: string; code: string; message: string };
  /**
   * Every session.update is answered with a `server_error` event and changes nothing ('reject'), or is never
   * answered at all ('ignore'): either way the session never becomes configured.
   */
  sessionUpdate?: 'reject' | 'ignore';
  /** Each session.update is applied (and answered) only this many ms after it arrives: a slow start. */
  sessionUpdateDelayMs?: number;
  /** The websocket upgrade is answered only this many ms after it arrives: a slow connect. */
  acceptDelayMs?: number;
}

/**
 * The `status_details.error` of a response that failed because of rate limiting. Shape as reported from the
 * real service (response.done, status 'failed', status_details {type:'failed', error:{type, code, message}},
 * output [], zero usage; e.g. openai/openai-python#2502). The SDK's type declares only `type` and `code`,
 * the wire also carries `message`.
 */
export const RATE_LIMITED_RESPONSE_ERROR = {
  type: 'invalid_request_error',
  code: 'inference_rate_limit_exceeded',
  message: "We're currently processing too many requests — please try again later.",
} as const;

/** The error the real server sends at the 60-minute cap (docs/protocols.md). */
export const SESSION_EXPIRED_MESSAGE = 'Your session hit the maximum duration of 60 minutes.';

/** The JSON body OpenAI answers an HTTP error with, for the common statuses (others: a generic one). */
export function openAIErrorBody(status: number, apiKey = 'sk-test'): string {
  const masked = apiKey.length > 8 ? `${apiKey.slice(0, 3)}*************${apiKey.slice(-4)}` : apiKey;
  const error =
    status === 401
      ? {
          message: `Incorrect API key provided: ${masked}. You can find your API key at https://platform.openai.com/account/api-keys.`,
          type: 'invalid_request_error',
          param: null,
          code: 'invalid_api_key',
        }
      : status === 429
        ? {
            message:
              'Rate limit reached for gpt-realtime in organization org-fake on requests per min (RPM): Limit 100, Used 100, Requested 1. Please try again in 600ms. Visit https://platform.openai.com/account/rate-limits to learn more.',
            type: 'requests',
            param: null,
            code: 'rate_limit_exceeded',
          }
        : status >= 500
          ? { message: 'The server had an error while processing your request. Sorry about that!', type: 'server_error', param: null, code: null }
          : { message: `Request failed with status ${status}.`, type: 'invalid_request_error', param: null, code: null };
  return JSON.stringify({ error });
}

/** What the server knows about an incoming websocket upgrade. */
export interface UpgradeInfo {
  /** 0-based index of this upgrade attempt on this server. */
  attempt: number;
  path: string;
  model: string | null;
  authorization: string | undefined;
  headers: IncomingMessage['headers'];
  /** What the server did with it: accepted (a session), refused (HTTP `status`) or reset. */
  outcome: 'accepted' | 'refused' | 'reset';
  /** The HTTP status of a refusal. */
  status?: number;
}

export type SessionClose = { code: number; at: number };

// ───────────────────────────── constants ─────────────────────────────

const DEFAULT_REPLY: ReplySpec = { text: 'Hello, how can I help you today?', toneHz: 440, durationMs: 1500 };
const DEFAULT_CALLER_TRANSCRIPT = 'I would like some help.';
const VAD_WINDOW_MS = 20;
const VAD_MIN_SPEECH_MS = 60;
const DEFAULT_INSTRUCTIONS =
  "Your knowledge cutoff is 2023-10. You are a helpful, witty, and friendly AI. Act like a human, but remember that you aren't a human.";
const SESSION_LIFETIME_S = 60 * 60;

// What the server accepts: the values the SDK lists. Written out here rather than taken from the product, so a
// mistake in the product's lists cannot hide itself.
const VOICES: readonly string[] = ['alloy', 'ash', 'ballad', 'coral', 'echo', 'sage', 'shimmer', 'verse', 'marin', 'cedar'];
const TRANSCRIPTION_MODELS: readonly string[] = [
  'whisper-1',
  'gpt-4o-mini-transcribe',
  'gpt-4o-mini-transcribe-2025-12-15',
  'gpt-4o-transcribe',
  'gpt-4o-transcribe-diarize',
  'gpt-realtime-whisper',
];
/** Reasoning efforts, and transcription delays (the same values). */
const EFFORTS: readonly string[] = ['minimal', 'low', 'medium', 'high', 'xhigh'];
/** The only transcription model that takes `delay`, and the one that takes no `prompt`. */
const DELAYED_TRANSCRIPTION_MODEL = 'gpt-realtime-whisper';

/** Client event types the GA server understands. */
const KNOWN_CLIENT_EVENTS: ReadonlySet<string> = new Set<RealtimeClientEvent['type']>([
  'session.update',
  'input_audio_buffer.append',
  'input_audio_buffer.commit',
  'input_audio_buffer.clear',
  'output_audio_buffer.clear',
  'conversation.item.create',
  'conversation.item.delete',
  'conversation.item.retrieve',
  'conversation.item.truncate',
  'response.create',
  'response.cancel',
]);

// ───────────────────────────── helpers ─────────────────────────────

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
function makeId(prefix: string): string {
  const bytes = randomBytes(21);
  let s = prefix;
  for (const b of bytes) s += ID_ALPHABET[b % ID_ALPHABET.length];
  return s;
}

type AudioKind = 'pcm' | 'pcmu' | 'pcma';
function formatKind(format: RealtimeAudioFormats | undefined): AudioKind {
  const t = format?.type;
  return t === 'audio/pcmu' ? 'pcmu' : t === 'audio/pcma' ? 'pcma' : 'pcm';
}
function kindRate(kind: AudioKind): number {
  return kind === 'pcm' ? 24000 : 8000;
}

function encodeAudio(samples: Int16Array, kind: AudioKind): string {
  if (kind === 'pcmu') return Buffer.from(mulaw.encode(samples)).toString('base64');
  if (kind === 'pcma') return Buffer.from(alaw.encode(samples)).toString('base64');
  const buf = Buffer.alloc(samples.length * 2);
  for (let i = 0; i < samples.length; i++) buf.writeInt16LE(samples[i]!, i * 2);
  return buf.toString('base64');
}

const BASE64_RE = /^[A-Za-z0-9+/]*={0,2}$/;

/** A sine tone, amplitude 0.3 FS, with a 10 ms linear fade in and out. */
export function makeTone(toneHz: number, sampleCount: number, rate: number): Int16Array {
  const out = new Int16Array(sampleCount);
  const fade = Math.max(1, Math.round(rate * 0.01));
  const amp = 0.3 * 32767;
  for (let i = 0; i < sampleCount; i++) {
    const gain = Math.min(1, (i + 1) / fade, (sampleCount - i) / fade);
    out[i] = Math.round(amp * gain * Math.sin((2 * Math.PI * toneHz * i) / rate));
  }
  return out;
}

function concatInt16(chunks: Int16Array[]): Int16Array {
  let n = 0;
  for (const c of chunks) n += c.length;
  const out = new Int16Array(n);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

function dbfs(samples: Int16Array, from: number, to: number): number {
  let sum = 0;
  for (let i = from; i < to; i++) {
    const v = samples[i]! / 32768;
    sum += v * v;
  }
  const rms = Math.sqrt(sum / Math.max(1, to - from));
  return rms > 0 ? 20 * Math.log10(rms) : -Infinity;
}

function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Rough text token count (≈ 4 characters a token). */
function textTokens(text: string): number {
  return text.length === 0 ? 0 : Math.max(1, Math.ceil(text.length / 4));
}

type SessionOptions = Required<Omit<FakeRealtimeOptions, 'refuseUpgrade' | 'faults'>>;

type ServerVadConfig = {
  type: 'server_vad' | 'semantic_vad';
  prefixPaddingMs: number;
  silenceMs: number;
  createResponse: boolean;
  interruptResponse: boolean;
};

/** The full server-side session: the request shape plus what the server adds. */
type FullSession = RealtimeSessionCreateRequest & {
  id: string;
  object: 'realtime.session';
  expires_at: number;
  model: string;
};

interface ItemRecord {
  item: ConversationItem & { id: string };
  /** For assistant audio: ms of audio the server has produced for this item (shrinks on truncate). */
  audioMs?: number;
}

interface ActiveResponse {
  id: string;
  index: number;
  request: ResponseCreateEvent | null;
  spec: ReplySpec;
  kind: AudioKind;
  textOnly: boolean;
  voice: string;
  outputModalities: Array<'text' | 'audio'>;
  maxOutputTokens: number | 'inf';
  /** The assistant message item, if the response has one. */
  message: (RealtimeConversationItemAssistantMessage & { id: string }) | undefined;
  samples: Int16Array;
  /** Delta boundaries (sample offsets), deltas[i] = [from, to). For text-only: word chunk boundaries. */
  deltas: Array<[number, number]>;
  nextDelta: number;
  words: string[];
  wordsSent: number;
  startedAt: number;
  timer: NodeJS.Timeout | undefined;
  samplesSent: number;
  output: ConversationItem[];
  inputTokensAtStart: { text: number; audio: number };
}

// ───────────────────────────── the session ─────────────────────────────

/** One accepted websocket: the server side of one Realtime session. */
export class FakeSession extends EventEmitter {
  readonly model: string;
  readonly authorization: string | undefined;
  /** The full session after each successful session.update (undefined until the first one). */
  sessionConfig: RealtimeSessionCreateRequest | undefined;
  readonly clientEvents: RealtimeClientEvent[] = [];
  readonly serverEvents: RealtimeServerEvent[] = [];
  readonly speechStartedAt: number[] = [];
  readonly truncations: Array<{ item_id: string; audio_end_ms: number; at: number }> = [];
  readonly errorsSent: Array<{ code: string; message: string }> = [];
  readonly closed: Promise<SessionClose>;
  /** Ids of responses started, in order. */
  readonly responses: Array<{ id: string; status: 'in_progress' | 'completed' | 'cancelled' | 'failed'; reason?: string }> = [];
  /** The fault plan this connection runs under (empty for a healthy one). */
  readonly faults: SessionFaults;

  private readonly ws: WebSocket;
  private readonly opts: SessionOptions;
  private session: FullSession;
  private readonly timers = new Set<NodeJS.Timeout>();
  private isClosed = false;

  // conversation
  private readonly items = new Map<string, ItemRecord>();
  private readonly order: string[] = [];
  private active: ActiveResponse | undefined;
  private responseCount = 0;
  private assistantAudioProduced = false;
  private contextTokens = { text: 0, audio: 0 };
  private lastInputTotal = 0;

  // input audio
  private readonly pcm24kChunks: Int16Array[] = [];
  private readonly pcm8kChunks: Int16Array[] = [];
  private oddByte: number | undefined;
  private inputMs = 0;
  private uncommittedFromMs = 0;
  private vadCarry: Int16Array = new Int16Array(0);
  private vadCarryKind: AudioKind = 'pcm';
  private vadWindowStartMs = 0;
  private vadState: 'silence' | 'speech' = 'silence';
  private loudRun = 0;
  private loudStartMs = 0;
  private quietRun = 0;
  private speechItemId: string | undefined;
  private speechStartMs = 0;
  private userTurns = 0;

  /** @internal — created by FakeRealtimeServer. */
  constructor(
    ws: WebSocket,
    model: string,
    authorization: string | undefined,
    opts: FakeSession['opts'],
    faults: SessionFaults = {},
  ) {
    super();
    this.ws = ws;
    this.model = model;
    this.authorization = authorization;
    this.opts = opts;
    this.faults = faults;
    this.session = {
      type: 'realtime',
      object: 'realtime.session',
      id: makeId('sess_'),
      model,
      output_modalities: ['audio'],
      instructions: DEFAULT_INSTRUCTIONS,
      tools: [],
      tool_choice: 'auto',
      max_output_tokens: 'inf',
      tracing: null,
      truncation: 'auto',
      prompt: null,
      expires_at:
        faults.expireAfterMs !== undefined
          ? Math.ceil((Date.now() + faults.expireAfterMs) / 1000)
          : Math.floor(Date.now() / 1000) + SESSION_LIFETIME_S,
      audio: {
        input: {
          format: { type: 'audio/pcm', rate: 24000 },
          turn_detection: {
            type: 'server_vad',
            threshold: 0.5,
            prefix_padding_ms: 300,
            silence_duration_ms: 500,
            idle_timeout_ms: null,
            create_response: true,
            interrupt_response: true,
          },
        },
        output: { format: { type: 'audio/pcm', rate: 24000 }, voice: 'alloy', speed: 1 },
      },
    };
    this.vadCarryKind = formatKind(this.session.audio?.input?.format);

    this.closed = new Promise<SessionClose>((resolve) => {
      ws.on('close', (code) => {
        this.isClosed = true;
        this.stopAll();
        resolve({ code, at: performance.now() });
        this.emit('closed', code);
      });
    });
    ws.on('error', () => {
      /* a broken client socket ends in 'close'; nothing else to do */
    });
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));

    this.send({ type: 'session.created', event_id: makeId('event_'), session: this.session });
    this.scheduleFaults();
  }

  /** Arms the timed faults of this connection; their timers are ordinary session timers (cleared on close). */
  private scheduleFaults(): void {
    const f = this.faults;
    if (f.dropAfterMs !== undefined) this.later(f.dropAfterMs, () => this.drop());
    const e = f.errorAfterMs;
    if (e) {
      this.later(e.afterMs, () => {
        this.sendError(e.code, e.message, null, e.type ?? 'server_error');
        if (e.close !== undefined && e.close !== false) this.close(e.close === true ? 1011 : e.close);
      });
    }
    if (f.expireAfterMs !== undefined) {
      this.later(f.expireAfterMs, () => {
        this.sendError('session_expired', SESSION_EXPIRED_MESSAGE, null, 'invalid_request_error');
        this.close(1000);
      });
    }
  }

  // ─────────── inspection API ───────────

  /** The current server-side session (defaults plus every accepted update). */
  get currentSession(): RealtimeSessionCreateRequest {
    return clone(this.session);
  }

  /** Input appended while the input format was audio/pcm (24 kHz PCM16). */
  inputAudioPcm24k(): Int16Array {
    return concatInt16(this.pcm24kChunks);
  }

  /** Input appended while the input format was audio/pcmu or audio/pcma, decoded to PCM16 at 8 kHz. */
  inputAudioPcm8k(): Int16Array {
    return concatInt16(this.pcm8kChunks);
  }

  /** Total ms of input audio appended in this session (the input timeline). */
  get inputDurationMs(): number {
    return this.inputMs;
  }

  /** False once the websocket has closed (either side, cleanly or not). */
  get isOpen(): boolean {
    return !this.isClosed;
  }

  /** The server's notion of an item's audio length in ms (after truncation), or undefined. */
  itemAudioMs(itemId: string): number | undefined {
    return this.items.get(itemId)?.audioMs;
  }

  /** The conversation as the server holds it, in order. */
  conversation(): ConversationItem[] {
    return this.order.map((id) => clone(this.items.get(id)!.item));
  }

  /** Whether a response is currently being generated. */
  get responseActive(): boolean {
    return this.active !== undefined;
  }

  /**
   * Resolves with the first client event matching `predicate`, looking at events already received from
   * index `since` on (default 0, i.e. the whole history), then at new ones. Rejects on timeout or close.
   */
  waitFor(
    predicate: (e: RealtimeClientEvent) => boolean,
    timeoutMs = 5000,
    since = 0,
  ): Promise<RealtimeClientEvent> {
    for (let i = since; i < this.clientEvents.length; i++) {
      const e = this.clientEvents[i]!;
      if (predicate(e)) return Promise.resolve(e);
    }
    return new Promise((resolve, reject) => {
      const cleanup = (): void => {
        clearTimeout(timer);
        this.off('client-event', onEvent);
        this.off('closed', onClose);
      };
      const onEvent = (e: RealtimeClientEvent): void => {
        if (predicate(e)) {
          cleanup();
          resolve(e);
        }
      };
      const onClose = (): void => {
        cleanup();
        reject(new Error(`FakeSession closed before the awaited client event arrived (${this.describeRecent()})`));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`FakeSession.waitFor timed out after ${timeoutMs} ms (${this.describeRecent()})`));
      }, timeoutMs);
      if (this.isClosed) {
        onClose();
        return;
      }
      this.on('client-event', onEvent);
      this.on('closed', onClose);
    });
  }

  // ─────────── control API ───────────

  /** Sends a scripted server event as-is (errors are recorded in errorsSent). */
  send(event: RealtimeServerEvent): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    this.serverEvents.push(event);
    if (event.type === 'error') {
      this.errorsSent.push({ code: event.error.code ?? '', message: event.error.message });
    }
    this.ws.send(JSON.stringify(event));
    this.emit('server-event', event);
  }

  /** Abrupt termination: no close frame; the client sees 1006. */
  drop(): void {
    this.stopAll();
    this.ws.terminate();
  }

  /** Clean close from the server side. */
  close(code = 1000, reason = ''): void {
    this.stopAll();
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(code, reason);
  }

  /** Sends an `error` event with the GA shape. `error.event_id` is null, as the real server sends it. */
  sendError(code: string, message: string, param: string | null = null, type = 'invalid_request_error'): void {
    this.send({
      type: 'error',
      event_id: makeId('event_'),
      error: { type, code, message, param, event_id: null },
    });
  }

  // ─────────── internals: plumbing ───────────

  private later(ms: number, fn: () => void): NodeJS.Timeout {
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.isClosed) fn();
    }, Math.max(0, ms));
    this.timers.add(t);
    return t;
  }

  private cancelTimer(t: NodeJS.Timeout | undefined): void {
    if (t === undefined) return;
    clearTimeout(t);
    this.timers.delete(t);
  }

  /** Stops every timer and drops the active response without sending anything. */
  private stopAll(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    if (this.active) {
      this.active.timer = undefined;
      this.active = undefined;
    }
  }

  private describeRecent(): string {
    const recent = this.clientEvents.slice(-8).map((e) => e.type);
    return `last client events: ${recent.join(', ') || 'none'}`;
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    if (isBinary) {
      this.sendError('invalid_json', 'Binary frames are not supported; send JSON text frames.');
      return;
    }
    const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8');
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      this.sendError(
        'invalid_json',
        `We could not parse the JSON body of your request. (${err instanceof Error ? err.message : String(err)})`,
      );
      return;
    }
    if (!isPlainObject(parsed) || typeof parsed['type'] !== 'string') {
      this.sendError('missing_required_parameter', "Missing required parameter: 'type'.", 'type');
      return;
    }
    const event = parsed as unknown as RealtimeClientEvent;
    this.clientEvents.push(event);
    this.emit('client-event', event);
    if (!KNOWN_CLIENT_EVENTS.has(event.type)) {
      this.sendError(
        'invalid_value',
        `Invalid value: '${event.type}'. Supported values are: ${[...KNOWN_CLIENT_EVENTS].map((t) => `'${t}'`).join(', ')}.`,
        'type',
      );
      return;
    }
    this.dispatch(event);
  }

  private dispatch(event: RealtimeClientEvent): void {
    switch (event.type) {
      case 'session.update':
        if (this.faults.sessionUpdateDelayMs) return void this.later(this.faults.sessionUpdateDelayMs, () => this.onSessionUpdate(event.session as unknown));
        return this.onSessionUpdate(event.session as unknown);
      case 'input_audio_buffer.append':
        return this.onAppend(event.audio);
      case 'input_audio_buffer.commit':
        return this.onCommit();
      case 'input_audio_buffer.clear':
        return this.onClearInput();
      case 'output_audio_buffer.clear':
        return this.sendError(
          'invalid_value',
          'output_audio_buffer.clear is only supported for WebRTC and SIP connections.',
          'type',
        );
      case 'conversation.item.create':
        return this.onItemCreate(event.item, event.previous_item_id);
      case 'conversation.item.delete':
        return this.onItemDelete(event.item_id);
      case 'conversation.item.retrieve':
        return this.onItemRetrieve(event.item_id);
      case 'conversation.item.truncate':
        return this.onTruncate(event.item_id, event.content_index, event.audio_end_ms);
      case 'response.create':
        return this.onResponseCreate(event);
      case 'response.cancel':
        return this.onResponseCancel(event.response_id);
    }
  }

  // ─────────── session.update ───────────

  private onSessionUpdate(raw: unknown): void {
    if (this.faults.sessionUpdate === 'ignore') return;
    if (this.faults.sessionUpdate === 'reject') {
      this.sendError('server_error', 'The server had an error while processing your request. Sorry about that!', null, 'server_error');
      return;
    }
    if (!isPlainObject(raw)) {
      this.sendError('missing_required_parameter', "Missing required parameter: 'session'.", 'session');
      return;
    }
    if (raw['type'] === undefined) {
      this.sendError('missing_required_parameter', "Missing required parameter: 'session.type'.", 'session.type');
      return;
    }
    if (raw['type'] !== 'realtime') {
      this.sendError(
        'invalid_value',
        `Invalid value: '${String(raw['type'])}'. This session is a 'realtime' session and its type cannot be changed.`,
        'session.type',
      );
      return;
    }
    const next = clone(this.session) as FullSession & Record<string, unknown>;
    for (const [key, value] of Object.entries(raw)) {
      if (key === 'model' || key === 'id' || key === 'object' || key === 'expires_at') continue; // not updatable
      if (key === 'audio' && isPlainObject(value)) {
        const audio = (next.audio ??= {}) as Record<string, Record<string, unknown> | undefined>;
        for (const dir of ['input', 'output'] as const) {
          const part = value[dir];
          if (part === undefined) continue;
          if (!isPlainObject(part)) {
            this.sendError('invalid_type', `Invalid type for 'session.audio.${dir}': expected an object.`, `session.audio.${dir}`);
            return;
          }
          audio[dir] = { ...(audio[dir] ?? {}), ...clone(part) };
        }
        continue;
      }
      next[key] = clone(value);
    }

    // Normalise and validate formats.
    for (const dir of ['input', 'output'] as const) {
      const part = next.audio?.[dir];
      if (!part?.format) continue;
      const t = part.format.type;
      if (t === undefined || t === 'audio/pcm') {
        const rate = (part.format as { rate?: number }).rate;
        if (rate !== undefined && rate !== 24000) {
          this.sendError(
            'invalid_value',
            `Invalid 'session.audio.${dir}.format.rate': Only a 24kHz sample rate is supported.`,
            `session.audio.${dir}.format.rate`,
          );
          return;
        }
        part.format = { type: 'audio/pcm', rate: 24000 };
      } else if (t !== 'audio/pcmu' && t !== 'audio/pcma') {
        this.sendError(
          'invalid_value',
          `Invalid value: '${String(t)}'. Supported values are: 'audio/pcm', 'audio/pcmu', and 'audio/pcma'.`,
          `session.audio.${dir}.format.type`,
        );
        return;
      }
    }
    const invalid = invalidSessionValue(next);
    if (invalid) {
      this.sendError('invalid_value', invalid.message, invalid.param);
      return;
    }
    // Fill the VAD defaults the real server reports.
    const td = next.audio?.input?.turn_detection;
    if (td && next.audio?.input) {
      if (td.type === 'server_vad') {
        next.audio.input.turn_detection = {
          threshold: 0.5,
          prefix_padding_ms: 300,
          silence_duration_ms: 500,
          idle_timeout_ms: null,
          create_response: true,
          interrupt_response: true,
          ...td,
        };
      } else if (td.type === 'semantic_vad') {
        next.audio.input.turn_detection = { eagerness: 'auto', create_response: true, interrupt_response: true, ...td };
      } else {
        this.sendError(
          'invalid_value',
          `Invalid value: '${String((td as { type?: unknown }).type)}'. Supported values are: 'server_vad' and 'semantic_vad'.`,
          'session.audio.input.turn_detection.type',
        );
        return;
      }
    }
    const oldVoice = this.session.audio?.output?.voice;
    const newVoice = next.audio?.output?.voice;
    if (this.assistantAudioProduced && JSON.stringify(oldVoice) !== JSON.stringify(newVoice)) {
      this.sendError(
        'cannot_update_voice',
        "Cannot update a conversation's voice if assistant audio is present.",
        'session.audio.output.voice',
      );
      return;
    }

    const inputKindBefore = formatKind(this.session.audio?.input?.format);
    this.session = next;
    if (formatKind(next.audio?.input?.format) !== inputKindBefore) {
      this.oddByte = undefined;
      this.vadCarry = new Int16Array(0);
    }
    if (!this.vadConfig()) this.resetVad();
    this.sessionConfig = clone(next);
    this.send({ type: 'session.updated', event_id: makeId('event_'), session: clone(this.session) });
  }

  private vadConfig(): ServerVadConfig | undefined {
    const td = this.session.audio?.input?.turn_detection;
    if (!td) return undefined;
    if (td.type === 'server_vad') {
      return {
        type: 'server_vad',
        prefixPaddingMs: td.prefix_padding_ms ?? 300,
        silenceMs: td.silence_duration_ms ?? 500,
        createResponse: td.create_response !== false,
        interruptResponse: td.interrupt_response !== false,
      };
    }
    const eagerness = td.eagerness ?? 'auto';
    return {
      type: 'semantic_vad',
      prefixPaddingMs: 300,
      silenceMs: eagerness === 'high' ? 250 : eagerness === 'low' ? 1000 : 500,
      createResponse: td.create_response !== false,
      interruptResponse: td.interrupt_response !== false,
    };
  }

  // ─────────── input audio & VAD ───────────

  private onAppend(audio: unknown): void {
    const kind = formatKind(this.session.audio?.input?.format);
    if (typeof audio !== 'string' || !BASE64_RE.test(audio)) {
      this.sendError(
        'invalid_value',
        kind === 'pcm'
          ? "Invalid 'audio'. Expected base64-encoded audio bytes (mono PCM16 at 24kHz) but got an invalid value."
          : "Invalid 'audio'. Expected base64-encoded audio bytes but got an invalid value.",
        'audio',
      );
      return;
    }
    let bytes = Buffer.from(audio, 'base64');
    let samples: Int16Array;
    if (kind === 'pcm') {
      if (this.oddByte !== undefined) {
        bytes = Buffer.concat([Buffer.from([this.oddByte]), bytes]);
        this.oddByte = undefined;
      }
      const n = bytes.length >> 1;
      if (bytes.length & 1) this.oddByte = bytes[bytes.length - 1];
      samples = new Int16Array(n);
      for (let i = 0; i < n; i++) samples[i] = bytes.readInt16LE(i * 2);
      this.pcm24kChunks.push(samples);
    } else {
      const u8 = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
      samples = kind === 'pcmu' ? mulaw.decode(u8) : alaw.decode(u8);
      this.pcm8kChunks.push(samples);
    }
    this.inputMs += (samples.length / kindRate(kind)) * 1000;
    this.runVad(samples, kind);
  }

  private runVad(samples: Int16Array, kind: AudioKind): void {
    if (kind !== this.vadCarryKind) {
      this.vadCarry = new Int16Array(0);
      this.vadCarryKind = kind;
    }
    const windowSamples = (kindRate(kind) * VAD_WINDOW_MS) / 1000;
    const all = this.vadCarry.length ? concatInt16([this.vadCarry, samples]) : samples;
    let off = 0;
    for (; off + windowSamples <= all.length; off += windowSamples) {
      const loud = dbfs(all, off, off + windowSamples) >= this.opts.vadThresholdDbfs;
      const start = this.vadWindowStartMs;
      this.vadWindowStartMs += VAD_WINDOW_MS;
      this.onVadWindow(loud, start);
      if (this.isClosed) return;
    }
    this.vadCarry = all.slice(off);
  }

  private resetVad(): void {
    this.vadState = 'silence';
    this.loudRun = 0;
    this.quietRun = 0;
    this.speechItemId = undefined;
  }

  private onVadWindow(loud: boolean, windowStartMs: number): void {
    const vad = this.vadConfig();
    if (!vad) return;
    if (this.vadState === 'silence') {
      if (!loud) {
        this.loudRun = 0;
        return;
      }
      if (this.loudRun === 0) this.loudStartMs = windowStartMs;
      this.loudRun++;
      if (this.loudRun * VAD_WINDOW_MS >= VAD_MIN_SPEECH_MS) this.speechStarted(vad);
    } else {
      this.quietRun = loud ? 0 : this.quietRun + 1;
      if (this.quietRun * VAD_WINDOW_MS >= vad.silenceMs) this.speechStopped(vad, windowStartMs + VAD_WINDOW_MS);
    }
  }

  private speechStarted(vad: ServerVadConfig): void {
    this.vadState = 'speech';
    this.quietRun = 0;
    this.speechItemId = makeId('item_');
    this.speechStartMs = Math.max(0, this.uncommittedFromMs, Math.round(this.loudStartMs - vad.prefixPaddingMs));
    const itemId = this.speechItemId;
    const audioStartMs = this.speechStartMs;
    const report = () => {
      this.speechStartedAt.push(performance.now());
      this.send({ type: 'input_audio_buffer.speech_started', event_id: makeId('event_'), audio_start_ms: audioStartMs, item_id: itemId });
      if (vad.interruptResponse && this.active) this.finishResponse(this.active, 'cancelled', 'turn_detected');
    };
    if (this.opts.speechStartedDelayMs) this.later(this.opts.speechStartedDelayMs, report);
    else report();
  }

  private speechStopped(vad: ServerVadConfig, audioEndMs: number): void {
    const itemId = this.speechItemId ?? makeId('item_');
    this.resetVad();
    this.send({
      type: 'input_audio_buffer.speech_stopped',
      event_id: makeId('event_'),
      audio_end_ms: audioEndMs,
      item_id: itemId,
    });
    this.commitUserAudio(itemId, this.speechStartMs, audioEndMs);
    if (vad.createResponse && !this.active) this.startResponse(null);
  }

  /** Commits [fromMs, toMs) of input as a user message item (with transcription if configured). */
  private commitUserAudio(itemId: string, fromMs: number, toMs: number): void {
    const previous = this.order.length ? this.order[this.order.length - 1]! : null;
    this.uncommittedFromMs = toMs;
    this.send({ type: 'input_audio_buffer.committed', event_id: makeId('event_'), item_id: itemId, previous_item_id: previous });
    const item: ConversationItem & { id: string } = {
      id: itemId,
      object: 'realtime.item',
      type: 'message',
      role: 'user',
      status: 'completed',
      content: [{ type: 'input_audio' }],
    };
    this.addItem({ item }, previous);
    const audioMs = Math.max(0, toMs - fromMs);
    this.contextTokens.audio += Math.ceil(audioMs / 100);
    this.send({ type: 'conversation.item.added', event_id: makeId('event_'), item: clone(item), previous_item_id: previous });
    this.send({ type: 'conversation.item.done', event_id: makeId('event_'), item: clone(item), previous_item_id: previous });

    const transcription = this.session.audio?.input?.transcription;
    if (transcription && (transcription.model ?? '') !== '') {
      const turn = this.userTurns++;
      const transcript = this.opts.callerTranscript(turn);
      this.later(this.opts.transcriptionDelayMs, () => {
        this.send({
          type: 'conversation.item.input_audio_transcription.delta',
          event_id: makeId('event_'),
          item_id: itemId,
          content_index: 0,
          delta: transcript,
        });
        const audioTokens = Math.ceil(audioMs / 100);
        const outTokens = textTokens(transcript);
        this.send({
          type: 'conversation.item.input_audio_transcription.completed',
          event_id: makeId('event_'),
          item_id: itemId,
          content_index: 0,
          transcript,
          usage: transcription.model?.includes('whisper')
            ? { type: 'duration', seconds: audioMs / 1000 }
            : {
                type: 'tokens',
                input_tokens: audioTokens,
                output_tokens: outTokens,
                total_tokens: audioTokens + outTokens,
                input_token_details: { audio_tokens: audioTokens, text_tokens: 0 },
              },
        });
        const rec = this.items.get(itemId);
        if (rec && rec.item.type === 'message' && rec.item.role === 'user') rec.item.content = [{ type: 'input_audio', transcript }];
      });
    } else {
      this.userTurns++;
    }
  }

  private onCommit(): void {
    const bufferedMs = this.inputMs - this.uncommittedFromMs;
    if (bufferedMs < 100) {
      this.sendError(
        'input_audio_buffer_commit_empty',
        `Error committing input audio buffer: buffer too small. Expected at least 100ms of audio, but buffer only has ${bufferedMs.toFixed(2)}ms of audio.`,
        null,
      );
      return;
    }
    const itemId = this.speechItemId ?? makeId('item_');
    const from = this.uncommittedFromMs;
    this.resetVad();
    this.commitUserAudio(itemId, from, this.inputMs);
  }

  private onClearInput(): void {
    this.uncommittedFromMs = this.inputMs;
    this.resetVad();
    this.send({ type: 'input_audio_buffer.cleared', event_id: makeId('event_') });
  }

  // ─────────── conversation items ───────────

  private addItem(rec: ItemRecord, previousId: string | null | undefined): void {
    this.items.set(rec.item.id, rec);
    if (previousId === 'root') this.order.unshift(rec.item.id);
    else if (previousId && this.order.includes(previousId)) this.order.splice(this.order.indexOf(previousId) + 1, 0, rec.item.id);
    else this.order.push(rec.item.id);
  }

  private onItemCreate(raw: unknown, previousItemId: string | undefined): void {
    if (!isPlainObject(raw) || typeof raw['type'] !== 'string') {
      this.sendError('missing_required_parameter', "Missing required parameter: 'item.type'.", 'item.type');
      return;
    }
    if (previousItemId !== undefined && previousItemId !== 'root' && !this.items.has(previousItemId)) {
      this.sendError(
        'invalid_value',
        `Invalid 'previous_item_id': item with id '${previousItemId}' not found.`,
        'previous_item_id',
      );
      return;
    }
    const item = clone(raw) as unknown as ConversationItem & { id: string };
    if (typeof item.id !== 'string' || item.id === '') item.id = makeId('item_');
    else if (this.items.has(item.id)) {
      this.sendError('invalid_value', `Item with id '${item.id}' already exists.`, 'item.id');
      return;
    }
    (item as { object?: string }).object = 'realtime.item';
    if (item.type === 'message' || item.type === 'function_call' || item.type === 'function_call_output') {
      item.status = 'completed';
    }
    const previous =
      previousItemId !== undefined ? previousItemId : this.order.length ? this.order[this.order.length - 1]! : null;
    this.addItem({ item }, previous);
    this.contextTokens.text += textTokens(JSON.stringify(item));
    this.send({ type: 'conversation.item.added', event_id: makeId('event_'), item: clone(item), previous_item_id: previous });
    this.send({ type: 'conversation.item.done', event_id: makeId('event_'), item: clone(item), previous_item_id: previous });
  }

  private onItemDelete(itemId: string): void {
    if (!this.items.has(itemId)) {
      this.sendError('item_delete_invalid_item_id', `Item with item_id '${itemId}' not found.`, 'item_id');
      return;
    }
    this.items.delete(itemId);
    this.order.splice(this.order.indexOf(itemId), 1);
    this.send({ type: 'conversation.item.deleted', event_id: makeId('event_'), item_id: itemId });
  }

  private onItemRetrieve(itemId: string): void {
    const rec = this.items.get(itemId);
    if (!rec) {
      this.sendError('item_retrieve_invalid_item_id', `Item with item_id '${itemId}' not found.`, 'item_id');
      return;
    }
    this.send({ type: 'conversation.item.retrieved', event_id: makeId('event_'), item: clone(rec.item) });
  }

  private onTruncate(itemId: unknown, contentIndex: unknown, audioEndMs: unknown): void {
    if (typeof itemId !== 'string') {
      this.sendError('missing_required_parameter', "Missing required parameter: 'item_id'.", 'item_id');
      return;
    }
    if (typeof audioEndMs !== 'number') {
      this.sendError('missing_required_parameter', "Missing required parameter: 'audio_end_ms'.", 'audio_end_ms');
      return;
    }
    if (!Number.isInteger(audioEndMs)) {
      this.sendError(
        'invalid_type',
        "Invalid type for 'audio_end_ms': expected an integer, but got a decimal number instead.",
        'audio_end_ms',
      );
      return;
    }
    if (audioEndMs < 0) {
      this.sendError(
        'integer_below_min_value',
        `Invalid 'audio_end_ms': integer below minimum value. Expected a value >= 0, but got ${audioEndMs} instead.`,
        'audio_end_ms',
      );
      return;
    }
    const rec = this.items.get(itemId);
    if (!rec) {
      this.sendError('item_truncate_invalid_item_id', `Item with item_id '${itemId}' not found.`, 'item_id');
      return;
    }
    if (rec.item.type !== 'message' || rec.item.role !== 'assistant' || rec.audioMs === undefined) {
      this.sendError('invalid_value', 'Only model output audio messages can be truncated', 'item_id');
      return;
    }
    if (contentIndex !== 0) {
      this.sendError('invalid_value', `Invalid 'content_index': content part ${String(contentIndex)} has no audio.`, 'content_index');
      return;
    }
    if (audioEndMs > rec.audioMs) {
      this.sendError(
        'invalid_value',
        `Audio content of ${Math.floor(rec.audioMs)}ms is already shorter than ${audioEndMs}ms`,
        'audio_end_ms',
      );
      return;
    }
    rec.audioMs = audioEndMs;
    // The server also drops the transcript so no unheard text stays in the context.
    rec.item.content = rec.item.content.map((c) => ({ type: c.type }));
    this.truncations.push({ item_id: itemId, audio_end_ms: audioEndMs, at: performance.now() });
    this.send({
      type: 'conversation.item.truncated',
      event_id: makeId('event_'),
      item_id: itemId,
      content_index: 0,
      audio_end_ms: audioEndMs,
    });
  }

  // ─────────── responses ───────────

  private onResponseCreate(event: ResponseCreateEvent): void {
    if (this.active) {
      this.sendError(
        'conversation_already_has_active_response',
        `Conversation already has an active response in progress: ${this.active.id}. Wait until the response is finished before creating a new one.`,
        null,
      );
      return;
    }
    this.startResponse(event);
  }

  private onResponseCancel(responseId: string | undefined): void {
    const active = this.active;
    if (!active || (responseId !== undefined && responseId !== active.id)) {
      this.sendError('response_cancel_not_active', 'Cancellation failed: no active response found', null);
      return;
    }
    this.finishResponse(active, 'cancelled', 'client_cancelled');
  }

  private startResponse(request: ResponseCreateEvent | null): void {
    if (this.faults.rateLimitResponses) return this.failResponse(request);
    const index = this.responseCount++;
    const spec = this.opts.reply(index, request);
    const params = request?.response;
    const kind = formatKind(params?.audio?.output?.format ?? this.session.audio?.output?.format);
    const rate = kindRate(kind);
    const outputModalities = params?.output_modalities ?? this.session.output_modalities ?? ['audio'];
    const textOnly = !outputModalities.includes('audio');
    const voiceSetting = params?.audio?.output?.voice ?? this.session.audio?.output?.voice ?? 'alloy';
    const voice = typeof voiceSetting === 'string' ? voiceSetting : voiceSetting.id;
    const words = spec.text.split(/\s+/).filter((w) => w.length > 0);
    const hasMessage = words.length > 0 || (!textOnly && spec.durationMs > 0);

    let samples: Int16Array = new Int16Array(0);
    const deltas: Array<[number, number]> = [];
    if (hasMessage && !textOnly) {
      const perDelta = Math.max(1, Math.round((rate * this.opts.deltaMs) / 1000));
      let total = Math.max(0, Math.round((spec.durationMs * rate) / 1000));
      if (total > 0 && rate === 24000) {
        const last = total - perDelta * Math.floor((total - 1) / perDelta);
        if (last % 3 === 0) total += 1; // exercise the consumer's ÷3 leftover handling
      }
      samples = makeTone(spec.toneHz, total, rate);
      for (let from = 0; from < total; from += perDelta) deltas.push([from, Math.min(total, from + perDelta)]);
    } else if (hasMessage) {
      // Text-only: one delta per word, paced like audio deltas.
      for (let i = 0; i < words.length; i++) deltas.push([i, i + 1]);
    }

    const id = makeId('resp_');
    const message: (RealtimeConversationItemAssistantMessage & { id: string }) | undefined = hasMessage
      ? { id: makeId('item_'), object: 'realtime.item', type: 'message', role: 'assistant', status: 'in_progress', content: [] }
      : undefined;
    const r: ActiveResponse = {
      id,
      index,
      request,
      spec,
      kind,
      textOnly,
      voice,
      outputModalities,
      maxOutputTokens: params?.max_output_tokens ?? this.session.max_output_tokens ?? 'inf',
      message,
      samples,
      deltas,
      nextDelta: 0,
      words,
      wordsSent: 0,
      startedAt: performance.now(),
      timer: undefined,
      samplesSent: 0,
      output: [],
      inputTokensAtStart: { ...this.contextTokens },
    };
    this.active = r;
    this.responses.push({ id, status: 'in_progress' });

    this.send({ type: 'response.created', event_id: makeId('event_'), response: this.responseObject(r, 'in_progress') });
    this.send({
      type: 'rate_limits.updated',
      event_id: makeId('event_'),
      rate_limits: [
        { name: 'requests', limit: 5000, remaining: 4999, reset_seconds: 0.012 },
        { name: 'tokens', limit: 40000, remaining: 40000 - 4096, reset_seconds: 6.144 },
      ],
    });
    if (message) {
      const previous = this.order.length ? this.order[this.order.length - 1]! : null;
      this.addItem({ item: message, audioMs: textOnly ? undefined : 0 }, previous);
      this.send({ type: 'response.output_item.added', event_id: makeId('event_'), response_id: id, output_index: 0, item: clone(message) });
      this.send({ type: 'conversation.item.added', event_id: makeId('event_'), item: clone(message), previous_item_id: previous });
      this.send({
        type: 'response.content_part.added',
        event_id: makeId('event_'),
        response_id: id,
        item_id: message.id,
        output_index: 0,
        content_index: 0,
        part: textOnly ? { type: 'text', text: '' } : { type: 'audio', transcript: '' },
      });
    }
    this.scheduleDelta(r);
  }

  /** A response that fails at once (rate limited): created, then done with status `failed`, nothing generated. */
  private failResponse(request: ResponseCreateEvent | null): void {
    this.responseCount++;
    const f = this.faults.rateLimitResponses;
    const error = f === true || f === undefined ? { ...RATE_LIMITED_RESPONSE_ERROR } : { ...f };
    const id = makeId('resp_');
    const params = request?.response;
    const kind = formatKind(params?.audio?.output?.format ?? this.session.audio?.output?.format);
    const voiceSetting = params?.audio?.output?.voice ?? this.session.audio?.output?.voice ?? 'alloy';
    const base: RealtimeResponse = {
      object: 'realtime.response',
      id,
      status: 'in_progress',
      output: [],
      conversation_id: 'conv_' + this.session.id.slice(5),
      output_modalities: params?.output_modalities ?? this.session.output_modalities ?? ['audio'],
      max_output_tokens: params?.max_output_tokens ?? this.session.max_output_tokens ?? 'inf',
      audio: {
        output: {
          format: kind === 'pcm' ? { type: 'audio/pcm', rate: 24000 } : { type: `audio/${kind}` },
          voice: typeof voiceSetting === 'string' ? voiceSetting : voiceSetting.id,
        },
      },
      metadata: params?.metadata ?? null,
    };
    this.responses.push({ id, status: 'failed', reason: error.code });
    this.send({ type: 'response.created', event_id: makeId('event_'), response: clone(base) });
    const zero = { text_tokens: 0, audio_tokens: 0 };
    this.send({
      type: 'response.done',
      event_id: makeId('event_'),
      response: {
        ...base,
        status: 'failed',
        // The wire carries error.message too; the SDK's type declares only type and code.
        status_details: { type: 'failed', error: error as RealtimeResponseStatus.Error },
        usage: {
          total_tokens: 0,
          input_tokens: 0,
          output_tokens: 0,
          input_token_details: { ...zero, image_tokens: 0, cached_tokens: 0, cached_tokens_details: { ...zero, image_tokens: 0 } },
          output_token_details: { ...zero },
        },
      },
    });
  }

  private deltaInterval(): number {
    return this.opts.deltaMs / this.opts.speedup;
  }

  private scheduleDelta(r: ActiveResponse): void {
    if (r.nextDelta >= r.deltas.length) {
      // Nothing (more) to stream: finish on the next tick so the start events are observed first.
      r.timer = this.later(0, () => this.finishResponse(r, 'completed'));
      return;
    }
    const due = r.startedAt + (r.nextDelta + 1) * this.deltaInterval();
    r.timer = this.later(due - performance.now(), () => this.sendDelta(r));
  }

  private sendDelta(r: ActiveResponse): void {
    if (this.active !== r || !r.message) return;
    const k = r.nextDelta++;
    const [from, to] = r.deltas[k]!;
    const n = r.deltas.length;
    const itemId = r.message.id;
    if (r.textOnly) {
      const word = (k === 0 ? '' : ' ') + r.words[from]!;
      r.wordsSent = to;
      this.send({
        type: 'response.output_text.delta',
        event_id: makeId('event_'),
        response_id: r.id,
        item_id: itemId,
        output_index: 0,
        content_index: 0,
        delta: word,
      });
    } else {
      // Transcript leads the audio a little, as the real server's does.
      const target = Math.ceil((r.words.length * (k + 1)) / n);
      if (target > r.wordsSent) {
        const chunk = r.words.slice(r.wordsSent, target).join(' ');
        this.send({
          type: 'response.output_audio_transcript.delta',
          event_id: makeId('event_'),
          response_id: r.id,
          item_id: itemId,
          output_index: 0,
          content_index: 0,
          delta: (r.wordsSent > 0 ? ' ' : '') + chunk,
        });
        r.wordsSent = target;
      }
      const chunk = r.samples.subarray(from, to);
      this.send({
        type: 'response.output_audio.delta',
        event_id: makeId('event_'),
        response_id: r.id,
        item_id: itemId,
        output_index: 0,
        content_index: 0,
        delta: encodeAudio(chunk, r.kind),
      });
      r.samplesSent = to;
      this.assistantAudioProduced = true;
      const rec = this.items.get(itemId);
      if (rec) rec.audioMs = (to / kindRate(r.kind)) * 1000;
    }
    if (this.active === r) this.scheduleDelta(r);
  }

  /** Ends a response: the closing events of its parts and items, then response.done. */
  private finishResponse(r: ActiveResponse, status: 'completed' | 'cancelled', reason?: 'turn_detected' | 'client_cancelled'): void {
    if (this.active !== r) return;
    this.cancelTimer(r.timer);
    r.timer = undefined;
    this.active = undefined;
    const itemStatus = status === 'completed' ? 'completed' : 'incomplete';
    const spoken = r.words.slice(0, r.wordsSent).join(' ');

    if (r.message) {
      const m = r.message;
      const base = { response_id: r.id, item_id: m.id, output_index: 0, content_index: 0 } as const;
      if (r.textOnly) {
        this.send({ type: 'response.output_text.done', event_id: makeId('event_'), ...base, text: spoken });
        m.content = [{ type: 'output_text', text: spoken }];
      } else {
        this.send({ type: 'response.output_audio.done', event_id: makeId('event_'), ...base });
        this.send({ type: 'response.output_audio_transcript.done', event_id: makeId('event_'), ...base, transcript: spoken });
        m.content = [{ type: 'output_audio', transcript: spoken }];
      }
      this.send({
        type: 'response.content_part.done',
        event_id: makeId('event_'),
        ...base,
        part: r.textOnly ? { type: 'text', text: spoken } : { type: 'audio', transcript: spoken },
      });
      m.status = itemStatus;
      this.send({ type: 'response.output_item.done', event_id: makeId('event_'), response_id: r.id, output_index: 0, item: clone(m) });
      this.send({ type: 'conversation.item.done', event_id: makeId('event_'), item: clone(m), previous_item_id: this.previousOf(m.id) });
      r.output.push(clone(m));
    }

    if (status === 'completed' && r.spec.functionCall) {
      const fc = r.spec.functionCall;
      const outputIndex = r.message ? 1 : 0;
      const item: RealtimeConversationItemFunctionCall & { id: string } = {
        id: makeId('item_'),
        object: 'realtime.item',
        type: 'function_call',
        status: 'in_progress',
        name: fc.name,
        call_id: fc.call_id ?? makeId('call_'),
        arguments: '',
      };
      const previous = this.order.length ? this.order[this.order.length - 1]! : null;
      this.addItem({ item }, previous);
      this.send({ type: 'response.output_item.added', event_id: makeId('event_'), response_id: r.id, output_index: outputIndex, item: clone(item) });
      this.send({ type: 'conversation.item.added', event_id: makeId('event_'), item: clone(item), previous_item_id: previous });
      const base = { response_id: r.id, item_id: item.id, output_index: outputIndex, call_id: item.call_id! } as const;
      this.send({ type: 'response.function_call_arguments.delta', event_id: makeId('event_'), ...base, delta: fc.arguments });
      this.send({
        type: 'response.function_call_arguments.done',
        event_id: makeId('event_'),
        ...base,
        name: fc.name,
        arguments: fc.arguments,
      });
      item.arguments = fc.arguments;
      item.status = 'completed';
      this.send({ type: 'response.output_item.done', event_id: makeId('event_'), response_id: r.id, output_index: outputIndex, item: clone(item) });
      this.send({ type: 'conversation.item.done', event_id: makeId('event_'), item: clone(item), previous_item_id: previous });
      r.output.push(clone(item));
    }

    const rec = this.responses.find((x) => x.id === r.id);
    if (rec) {
      rec.status = status;
      if (reason) rec.reason = reason;
    }
    const response = this.responseObject(r, status, reason);
    this.send({ type: 'response.done', event_id: makeId('event_'), response });
  }

  private previousOf(itemId: string): string | null {
    const i = this.order.indexOf(itemId);
    return i > 0 ? this.order[i - 1]! : null;
  }

  private responseObject(
    r: ActiveResponse,
    status: 'in_progress' | 'completed' | 'cancelled',
    reason?: 'turn_detected' | 'client_cancelled',
  ): RealtimeResponse {
    const response: RealtimeResponse = {
      object: 'realtime.response',
      id: r.id,
      status,
      output: status === 'in_progress' ? [] : clone(r.output),
      conversation_id: r.request?.response?.conversation === 'none' ? undefined : 'conv_' + this.session.id.slice(5),
      output_modalities: r.outputModalities,
      max_output_tokens: r.maxOutputTokens,
      audio: { output: { format: r.kind === 'pcm' ? { type: 'audio/pcm', rate: 24000 } : { type: `audio/${r.kind}` }, voice: r.voice } },
      metadata: r.request?.response?.metadata ?? null,
    };
    if (response.conversation_id === undefined) delete response.conversation_id;
    if (status === 'cancelled') response.status_details = { type: 'cancelled', reason: reason ?? 'client_cancelled' };
    if (status !== 'in_progress') response.usage = this.usageFor(r);
    return response;
  }

  /** A usage block shaped like the real one: context in, what was generated out, cached ⊂ input. */
  private usageFor(r: ActiveResponse): RealtimeResponseUsage {
    const instructions = r.request?.response?.instructions ?? this.session.instructions ?? '';
    const inText = textTokens(instructions) + r.inputTokensAtStart.text;
    const inAudio = r.inputTokensAtStart.audio;
    const input = inText + inAudio;
    // Prompt caching: the prefix seen by the previous response, in 64-token steps, once it reaches 1024.
    const cachable = Math.min(this.lastInputTotal, input);
    const cached = cachable >= 1024 ? Math.floor(cachable / 64) * 64 : 0;
    const cachedAudio = input > 0 ? Math.min(inAudio, Math.round((cached * inAudio) / input)) : 0;
    const cachedText = cached - cachedAudio;
    this.lastInputTotal = input;

    const spoken = r.words.slice(0, r.wordsSent).join(' ');
    const outText = textTokens(spoken) + (r.spec.functionCall ? textTokens(r.spec.functionCall.arguments) + 5 : 0);
    const audioMs = r.textOnly ? 0 : (r.samplesSent / kindRate(r.kind)) * 1000;
    const outAudio = Math.round(audioMs / 50);
    this.contextTokens.text += outText;
    this.contextTokens.audio += outAudio;
    return {
      total_tokens: input + outText + outAudio,
      input_tokens: input,
      output_tokens: outText + outAudio,
      input_token_details: {
        text_tokens: inText,
        audio_tokens: inAudio,
        image_tokens: 0,
        cached_tokens: cached,
        cached_tokens_details: { text_tokens: cachedText, audio_tokens: cachedAudio, image_tokens: 0 },
      },
      output_token_details: { text_tokens: outText, audio_tokens: outAudio },
    };
  }
}

// ───────────────────────────── the server ─────────────────────────────

export class FakeRealtimeServer {
  /** 'https://127.0.0.1:<port>/v1' — what the product passes as OPENAI_BASE_URL. */
  readonly baseURL: string;
  /** PEM of the self-signed certificate, for the client's ws options `{ ca }`. */
  readonly ca: string;
  readonly sessions: FakeSession[] = [];
  /** Sessions ever accepted (unlike `sessions`, not reduced by `pruneClosedSessions`). */
  sessionsAccepted = 0;
  /** Sessions whose websocket has closed. */
  sessionsClosed = 0;
  /** Every upgrade attempt, accepted or not. */
  readonly upgrades: UpgradeInfo[] = [];

  private readonly server: https.Server;
  private readonly wss: WebSocketServer;
  private readonly options: FakeRealtimeOptions;
  private readonly sessionOpts: SessionOptions;
  private readonly sockets = new Set<Socket>();
  private readonly waiters: Array<(s: FakeSession) => void> = [];
  private handedOut = 0;
  private closing: Promise<void> | undefined;
  private readonly port: number;
  private listening = true;
  private listenChange: Promise<void> = Promise.resolve();

  private constructor(server: https.Server, ca: string, options: FakeRealtimeOptions) {
    this.server = server;
    this.ca = ca;
    this.options = options;
    this.sessionOpts = {
      reply: options.reply ?? (() => ({ ...DEFAULT_REPLY })),
      speedup: options.speedup ?? 4,
      deltaMs: options.deltaMs ?? 100,
      callerTranscript: options.callerTranscript ?? (() => DEFAULT_CALLER_TRANSCRIPT),
      vadThresholdDbfs: options.vadThresholdDbfs ?? -40,
      transcriptionDelayMs: options.transcriptionDelayMs ?? 30,
      speechStartedDelayMs: options.speechStartedDelayMs ?? 0,
    };
    if (!(this.sessionOpts.speedup > 0)) throw new Error('speedup must be > 0');
    if (!(this.sessionOpts.deltaMs > 0)) throw new Error('deltaMs must be > 0');
    this.wss = new WebSocketServer({ noServer: true, maxPayload: 32 * 1024 * 1024 });
    const { port } = server.address() as AddressInfo;
    this.port = port;
    this.baseURL = `https://127.0.0.1:${port}/v1`;

    server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.acceptUpgrade(req, socket, head));
    server.on('request', (_req: IncomingMessage, res: ServerResponse) => {
      res.writeHead(426, { 'content-type': 'application/json', upgrade: 'websocket' });
      res.end(JSON.stringify({ error: { message: 'This endpoint only accepts websocket upgrades.', type: 'invalid_request_error' } }));
    });
  }

  static async start(options: FakeRealtimeOptions = {}): Promise<FakeRealtimeServer> {
    const { key, cert } = await localCertificate();
    const server = https.createServer({ key, cert });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    return new FakeRealtimeServer(server, cert, options);
  }

  /**
   * Forgets closed sessions (and everything they recorded) so a long run does not hold their history;
   * `sessionsAccepted` / `sessionsClosed` keep counting. A closed session not yet handed out by
   * `nextSession` is forgotten too. Returns how many were dropped.
   */
  pruneClosedSessions(): number {
    let removed = 0;
    let removedHandedOut = 0;
    const kept: FakeSession[] = [];
    this.sessions.forEach((s, i) => {
      if (s.isOpen) kept.push(s);
      else {
        removed++;
        if (i < this.handedOut) removedHandedOut++;
      }
    });
    this.sessions.splice(0, this.sessions.length, ...kept);
    this.handedOut -= removedHandedOut;
    return removed;
  }

  /** Resolves with the next session not yet handed out (already connected, or the next to connect). */
  nextSession(): Promise<FakeSession> {
    if (this.handedOut < this.sessions.length) return Promise.resolve(this.sessions[this.handedOut++]!);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** False between `stopAccepting()` and `resumeAccepting()`. */
  get accepting(): boolean {
    return this.listening;
  }

  /**
   * Closes the listening socket: new connections to the port get ECONNREFUSED, while sessions already
   * established carry on. Resolves once the port is closed. Idempotent.
   */
  stopAccepting(): Promise<void> {
    this.listenChange = this.listenChange.then(async () => {
      if (!this.listening || this.closing) return;
      this.listening = false;
      // No callback: server.close(cb) would wait for every open connection to end.
      this.server.close();
      await new Promise<void>((resolve) => setImmediate(resolve));
    });
    return this.listenChange;
  }

  /** Listens again on the same port (the same `baseURL`). Idempotent. */
  resumeAccepting(): Promise<void> {
    this.listenChange = this.listenChange.then(async () => {
      if (this.listening || this.closing) return;
      await new Promise<void>((resolve, reject) => {
        this.server.once('error', reject);
        this.server.listen(this.port, '127.0.0.1', () => {
          this.server.off('error', reject);
          resolve();
        });
      });
      this.listening = true;
    });
    return this.listenChange;
  }

  /** Terminates every socket and stops the server. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.listenChange.catch(() => undefined);
      for (const s of this.sessions) s.drop();
      for (const ws of this.wss.clients) ws.terminate();
      await new Promise<void>((resolve) => this.wss.close(() => resolve()));
      // Not listening (stopAccepting): the callback still runs once the last connection is gone.
      const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
      this.server.closeAllConnections();
      for (const s of this.sockets) s.destroy();
      await closed;
    })();
    return this.closing;
  }

  /**
   * The one place where connections are accepted or refused, and where each connection's faults are decided.
   */
  private acceptUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    const authHeader = req.headers['authorization'];
    const info: UpgradeInfo = {
      attempt: this.upgrades.length,
      path: url.pathname,
      model: url.searchParams.get('model'),
      authorization: Array.isArray(authHeader) ? authHeader[0] : authHeader,
      headers: req.headers,
      outcome: 'accepted',
    };
    this.upgrades.push(info);
    const refuseWith = (status: number, body: string): void => {
      info.outcome = 'refused';
      info.status = status;
      refuse(socket, status, body);
    };
    if (this.closing) return refuseWith(503, errorBody('Server is shutting down.'));
    if (info.path !== '/v1/realtime') return refuseWith(404, errorBody(`Invalid URL (GET ${info.path})`));
    if (!info.model) return refuseWith(400, errorBody("Missing required parameter: 'model'."));
    const refusal = this.options.refuseUpgrade?.(info);
    if (refusal) return refuseWith(refusal.status, errorBody(refusal.body ?? 'Refused by the test.'));

    const faults = this.options.faults?.(info.attempt, info) ?? {};
    if (faults.refuse) {
      const key = info.authorization?.replace(/^Bearer\s+/i, '');
      return refuseWith(faults.refuse.status, faults.refuse.body ?? openAIErrorBody(faults.refuse.status, key));
    }
    if (faults.reset) {
      info.outcome = 'reset';
      socket.destroy();
      return;
    }

    if (faults.acceptDelayMs) {
      const { acceptDelayMs, ...rest } = faults;
      setTimeout(() => !socket.destroyed && this.accept(req, socket, head, info, rest), acceptDelayMs);
      return;
    }
    this.accept(req, socket, head, info, faults);
  }

  private accept(req: IncomingMessage, socket: Duplex, head: Buffer, info: UpgradeInfo, faults: SessionFaults): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const session = new FakeSession(ws, info.model!, info.authorization, this.sessionOpts, faults);
      this.sessions.push(session);
      this.sessionsAccepted++;
      session.once('closed', () => this.sessionsClosed++);
      const waiter = this.waiters.shift();
      if (waiter) {
        this.handedOut++;
        waiter(session);
      }
    });
  }
}

/** The first value of a merged session the real server refuses, as its `invalid_value` error says it. */
function invalidSessionValue(session: FullSession): { param: string; message: string } | undefined {
  const notIn = (param: string, value: unknown, allowed: readonly string[]) =>
    typeof value === 'string' && !allowed.includes(value)
      ? { param, message: `Invalid value: '${value}'. Supported values are: ${allowed.map((v) => `'${v}'`).join(', ')}.` }
      : undefined;
  const transcription = session.audio?.input?.transcription;
  const model = transcription?.model;
  const onlyWith = (field: 'delay' | 'prompt', takes: boolean) =>
    transcription?.[field] !== undefined && !takes
      ? {
          param: `session.audio.input.transcription.${field}`,
          message: `Invalid 'session.audio.input.transcription.${field}': not supported with transcription model '${String(model)}'.`,
        }
      : undefined;
  return (
    notIn('session.audio.output.voice', session.audio?.output?.voice, VOICES) ??
    notIn('session.audio.input.transcription.model', model, TRANSCRIPTION_MODELS) ??
    notIn('session.audio.input.transcription.delay', transcription?.delay, EFFORTS) ??
    onlyWith('delay', model === DELAYED_TRANSCRIPTION_MODEL) ??
    onlyWith('prompt', model !== DELAYED_TRANSCRIPTION_MODEL) ??
    notIn('session.reasoning.effort', session.reasoning?.effort, EFFORTS)
  );
}

function errorBody(message: string): string {
  return JSON.stringify({ error: { message, type: 'invalid_request_error', code: null, param: null } });
}

function refuse(socket: Duplex, status: number, body: string): void {
  const reason =
    (
      {
        400: 'Bad Request',
        401: 'Unauthorized',
        403: 'Forbidden',
        404: 'Not Found',
        429: 'Too Many Requests',
        500: 'Internal Server Error',
        502: 'Bad Gateway',
        503: 'Service Unavailable',
      } as Record<number, string>
    )[status] ?? 'Error';
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
