import type { Config, Persona } from '../config';
import type { Logger } from '../log';
import {
  addResponseUsage,
  addTranscriptionUsage,
  CallRecording,
  emptyUsage,
  estimateCostUsd,
  secureRecordingsDir,
  type CallEvent,
  type CallStats,
  type CallStore,
  type EndReason,
  type NewCall,
  type Turn,
} from '../store';
import type { LineStart } from '../telephony';
import type { TranscriptionUsage } from '../realtime';
import type { CallRecorder } from './recorder';

export interface RecordSettings {
  config: Pick<Config, 'openai' | 'persona' | 'audioMode' | 'store' | 'limits'>;
  recordingsDir: string;
  /** The persona a call speaks as, when it is not the configured one (a call we placed may bring its own). */
  personaFor?: (callSid: string) => Persona | undefined;
  /** This server instance, written on each call it records (several instances may share the records). */
  instanceId?: string;
  /** Queues the work after a call (its analysis, webhooks) once its record is complete; never waited for by the call. */
  afterCall?: (callSid: string) => Promise<void>;
}

/**
 * Makes a recorder per call that writes to `store` as the call goes, never waiting for a write: the store applies
 * a call's writes in the order they were made. A call's recording is completed after the call ends: `settled()`
 * resolves once every ended call's record is closed and its recording complete and on it, so await it before
 * closing the store.
 */
export function storeRecorder(store: CallStore, settings: RecordSettings, log: Logger) {
  try {
    secureRecordingsDir(settings.recordingsDir);
  } catch (err) {
    log.error('could not make the recordings folder private', { dir: settings.recordingsDir, error: (err as Error).message });
  }
  const finishing = new Set<Promise<void>>();
  const record = (start: LineStart): CallRecorder => {
    const { config } = settings;
    const persona = settings.personaFor?.(start.callSid) ?? config.persona;
    const answeredAt = Date.now();
    const call: NewCall = {
      callSid: start.callSid,
      streamSid: start.streamSid,
      direction: start.direction === 'web' ? 'web' : start.direction.startsWith('outbound') ? 'outbound' : 'inbound',
      from: start.from,
      to: start.to,
      startedAt: Math.min(start.reachedAt, answeredAt),
      answeredAt,
      model: config.openai.model,
      voice: persona.voice,
      personaName: persona.name,
      audioMode: config.audioMode,
      ...(settings.instanceId !== undefined ? { instanceId: settings.instanceId } : {}),
    };
    return new StoreCallRecorder(store, call, settings, log.child({ callSid: call.callSid }), finishing);
  };
  const settled = async (): Promise<void> => {
    await Promise.all(finishing);
  };
  return Object.assign(record, { settled });
}

/**
 * One call's record. A failing database must never hurt the call: no write is waited for, every failure is caught
 * and logged (once per kind), and the call goes on.
 */
class StoreCallRecorder implements CallRecorder {
  private readonly stats: CallStats = { bargeIns: 0, turnLatenciesMs: [], usage: emptyUsage(), costUsd: 0 };
  private readonly recording: CallRecording | undefined;
  private readonly failures = new Set<string>();

  constructor(
    private readonly store: CallStore,
    private readonly call: NewCall,
    private readonly settings: RecordSettings,
    private readonly log: Logger,
    private readonly finishing: Set<Promise<void>>,
  ) {
    void this.write('open', () => store.open(call));
    if (settings.config.store.recordCalls) {
      this.recording = new CallRecording(settings.recordingsDir, call.callSid, {
        maxMs: settings.config.limits.maxCallMs + 60_000,
        onError: (err) => this.failed('recording', err),
      });
    }
  }

  turn(turn: Turn): void {
    void this.write('turn', () => this.store.addTurn(this.call.callSid, turn));
  }

  event(event: Omit<CallEvent, 'at'>): void {
    void this.write('event', () => this.store.addEvent(this.call.callSid, { at: Date.now(), ...event }));
  }

  bargeIn(truncations: Array<{ itemId: string; heardMs: number; sentMs: number }>): void {
    this.stats.bargeIns++;
    const cut = truncations[0];
    const summary = cut
      ? `caller interrupted the agent after ${seconds(cut.heardMs)} of ${seconds(cut.sentMs)} sent`
      : 'caller interrupted the agent';
    this.event({ type: 'barge-in', summary, detail: { truncations } });
    this.saveStats();
  }

  firstAudio(sinceStartMs: number): void {
    this.stats.firstAudioMs = sinceStartMs;
    this.saveStats();
  }

  turnLatency(latencyMs: number): void {
    this.stats.turnLatenciesMs.push(latencyMs);
  }

  responseUsage(usage: Parameters<typeof addResponseUsage>[1]): void {
    this.stats.usage = addResponseUsage(this.stats.usage, usage);
    this.saveStats();
  }

  transcriptionUsage(usage: TranscriptionUsage | undefined): void {
    this.stats.usage = addTranscriptionUsage(this.stats.usage, usage);
  }

  callerAudio(mulaw: Uint8Array, atMs: number): void {
    this.recording?.caller(mulaw, atMs);
  }

  agentAudio(mulaw: Uint8Array, atMs: number): void {
    this.recording?.agent(mulaw, atMs);
  }

  agentCleared(atMs: number): void {
    this.recording?.agentCleared(atMs);
  }

  /**
   * Closes the record at once, and again with the file name once the recording is complete. Resolves when both
   * are done; never rejects.
   */
  finish(reason: EndReason): Promise<void> {
    this.saveStats();
    const end = { endedAt: Date.now(), endReason: reason };
    const closed = this.write('close', () => this.store.close(this.call.callSid, end));
    const done = !this.recording
      ? closed
      : this.recording.finish().then(async (recordingFile) => {
          if (recordingFile) await this.write('close', () => this.store.close(this.call.callSid, { ...end, recordingFile }));
          await closed;
        });
    const { afterCall } = this.settings;
    const queued = afterCall ? done.then(() => afterCall(this.call.callSid)).catch((err: Error) => this.failed('after-call', err)) : done;
    this.finishing.add(queued);
    void queued.then(() => this.finishing.delete(queued));
    return done;
  }

  private saveStats(): void {
    this.stats.costUsd = estimateCostUsd(this.call.model, this.stats.usage, this.settings.config.store.prices);
    void this.write('stats', () => this.store.updateStats(this.call.callSid, this.stats));
  }

  /** Starts a write; the promise resolves when it is applied or has failed (and was logged), never rejects. */
  private write(what: string, write: () => Promise<unknown>): Promise<void> {
    let pending: Promise<unknown>;
    try {
      pending = write();
    } catch (err) {
      pending = Promise.reject(err);
    }
    return pending.then(
      () => undefined,
      (err: unknown) => this.failed(what, err instanceof Error ? err : new Error(String(err))),
    );
  }

  private failed(what: string, err: Error): void {
    if (this.failures.has(what)) return;
    this.failures.add(what);
    this.log.error('could not write the call record', { what, error: err.message });
  }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
