import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CallRecorder } from '../call/recorder';
import type { EndReason } from '../call/types';
import type { ModelPrices } from '../config';
import type { ResponseUsage, TranscriptionUsage } from '../realtime';
import { addResponseUsage, addTranscriptionUsage, emptyUsage, estimateCostUsd, type TokenUsage } from '../store';
import type { LineStart } from '../telephony';

export interface MetricsOptions {
  /** The model calls talk to, and price overrides: the cost estimate uses them as the call records do. */
  model: string;
  prices?: Record<string, ModelPrices>;
  /**
   * Also the process's own metrics (CPU, memory, heap, GC, event-loop delay). They watch the whole process, so
   * only the registry the process serves should take them.
   */
  processMetrics?: boolean;
}

export type CallDirection = 'inbound' | 'outbound' | 'web';

/** Token counts by kind, as `TokenUsage` keeps them, under Prometheus label values. */
const TOKEN_KINDS = {
  audioIn: 'audio_in',
  audioInCached: 'audio_in_cached',
  textIn: 'text_in',
  textInCached: 'text_in_cached',
  audioOut: 'audio_out',
  textOut: 'text_out',
  transcription: 'transcription',
} as const satisfies Partial<Record<keyof TokenUsage, string>>;

/** Seconds. The first words should come within a second; the apology comes at 8 s. */
const FIRST_AUDIO_BUCKETS = [0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 8, 13];
/** Seconds, from the model's end-of-turn event (its silence window is over by then); tools and reasoning add more. */
const REPLY_LATENCY_BUCKETS = [0.25, 0.5, 0.75, 1, 1.25, 1.5, 2, 2.5, 3, 5, 8, 13];

/**
 * What the calls of one server did, in a registry of its own (never prom-client's global one), so several
 * servers in one process each count their own calls. It is fed by `recorder()`, which wraps each call's record:
 * the metrics see exactly what the record sees.
 */
export class AgentMetrics {
  readonly registry = new Registry();
  private activeCount: () => number = () => 0;
  private readonly callsStarted: Counter<'direction'>;
  private readonly callsEnded: Counter<'direction' | 'reason'>;
  private readonly modelReconnects: Counter;
  private readonly modelFailures: Counter;
  private readonly bargeIns: Counter;
  private readonly firstAudio: Histogram;
  private readonly replyLatency: Histogram;
  private readonly tokens: Counter<'kind'>;
  private readonly transcriptionSeconds: Counter;
  private readonly costUsd: Counter;

  constructor(private readonly options: MetricsOptions) {
    const registers = [this.registry];
    const active = () => this.activeCount();
    new Gauge({
      name: 'phone_agent_active_calls',
      help: 'Calls whose media stream is connected now',
      registers,
      collect() {
        this.set(active());
      },
    });
    this.callsStarted = new Counter({
      name: 'phone_agent_calls_started_total',
      help: 'Calls whose media stream was admitted, by direction',
      labelNames: ['direction'],
      registers,
    });
    this.callsEnded = new Counter({
      name: 'phone_agent_calls_ended_total',
      help: 'Calls that ended, by direction and end reason',
      labelNames: ['direction', 'reason'],
      registers,
    });
    this.modelReconnects = new Counter({
      name: 'phone_agent_model_reconnects_total',
      help: 'Model sessions lost during a call and opened again',
      registers,
    });
    this.modelFailures = new Counter({
      name: 'phone_agent_model_failures_total',
      help: 'Calls the model failed: the caller heard the apology and was hung up on (end reason model-error)',
      registers,
    });
    this.bargeIns = new Counter({
      name: 'phone_agent_barge_ins_total',
      help: 'Times a caller talked over the agent and its audio was cut',
      registers,
    });
    this.firstAudio = new Histogram({
      name: 'phone_agent_first_audio_seconds',
      help: 'From the media stream starting to the first agent audio sent down the line',
      buckets: FIRST_AUDIO_BUCKETS,
      registers,
    });
    this.replyLatency = new Histogram({
      name: 'phone_agent_reply_latency_seconds',
      help: 'From the model saying the caller stopped speaking to the first audio of the reply sent down the line',
      buckets: REPLY_LATENCY_BUCKETS,
      registers,
    });
    this.tokens = new Counter({
      name: 'phone_agent_model_tokens_total',
      help: 'Model tokens used, by kind (input kinds are uncached and cached apart; transcription: input and output)',
      labelNames: ['kind'],
      registers,
    });
    this.transcriptionSeconds = new Counter({
      name: 'phone_agent_transcription_audio_seconds_total',
      help: 'Caller audio transcribed by models billed by duration',
      registers,
    });
    this.costUsd = new Counter({
      name: 'phone_agent_estimated_cost_usd_total',
      help: 'Estimated model cost in USD from the token counts and the price table (0 for a model without prices)',
      registers,
    });
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry });
  }

  /** The active-calls gauge reads `count` at each scrape. */
  countActiveCalls(count: () => number): void {
    this.activeCount = count;
  }

  /** A recorder that counts what the call tells it and passes everything on to `record` (if any), unchanged. */
  recorder(start: LineStart, record?: CallRecorder): CallRecorder {
    const direction = directionOf(start.direction);
    this.count(() => this.callsStarted.inc({ direction }));
    return {
      turn: (turn) => record?.turn(turn),
      callerAudio: (mulaw, atMs) => record?.callerAudio(mulaw, atMs),
      agentAudio: (mulaw, atMs) => record?.agentAudio(mulaw, atMs),
      agentCleared: (atMs) => record?.agentCleared(atMs),
      event: (event) => {
        if (event.type === 'reconnect') this.count(() => this.modelReconnects.inc());
        record?.event(event);
      },
      bargeIn: (truncations) => {
        this.count(() => this.bargeIns.inc());
        record?.bargeIn(truncations);
      },
      firstAudio: (sinceStartMs) => {
        this.count(() => this.firstAudio.observe(sinceStartMs / 1000));
        record?.firstAudio(sinceStartMs);
      },
      turnLatency: (latencyMs) => {
        this.count(() => this.replyLatency.observe(latencyMs / 1000));
        record?.turnLatency(latencyMs);
      },
      responseUsage: (usage: ResponseUsage | undefined) => {
        this.count(() => this.addUsage(addResponseUsage(emptyUsage(), usage)));
        record?.responseUsage(usage);
      },
      transcriptionUsage: (usage: TranscriptionUsage | undefined) => {
        this.count(() => this.addUsage(addTranscriptionUsage(emptyUsage(), usage)));
        record?.transcriptionUsage(usage);
      },
      // The record's own finish may return a promise (a recording being completed): it is passed back as is.
      finish: (reason: EndReason) => {
        this.count(() => {
          this.callsEnded.inc({ direction, reason });
          if (reason === 'model-error') this.modelFailures.inc();
        });
        return record?.finish(reason);
      },
    };
  }

  private addUsage(usage: TokenUsage): void {
    for (const [key, kind] of Object.entries(TOKEN_KINDS) as Array<[keyof typeof TOKEN_KINDS, string]>) {
      if (usage[key] > 0) this.tokens.inc({ kind }, usage[key]);
    }
    if (usage.transcriptionSeconds > 0) this.transcriptionSeconds.inc(usage.transcriptionSeconds);
    const cost = estimateCostUsd(this.options.model, usage, this.options.prices);
    if (cost > 0) this.costUsd.inc(cost);
  }

  /** Counting must never hurt a call. */
  private count(update: () => void): void {
    try {
      update();
    } catch {
      // A metric that cannot be updated is one sample lost; the call goes on.
    }
  }
}

/** As the call records name directions: Twilio's `outbound-api` and `outbound-dial` are both outbound. */
function directionOf(direction: string): CallDirection {
  return direction === 'web' ? 'web' : direction.startsWith('outbound') ? 'outbound' : 'inbound';
}
