/**
 * Call records: what a call leaves behind. The call writes through `CallStore` as it goes (each turn when it
 * completes), so a crash loses at most the turns in flight. Times are epoch milliseconds.
 */

import type { CallEvent, EndReason, Turn } from '../call/types';
import type { AudioMode } from '../config';
import type { Overview, OverviewRange } from './overview';
import type { AnalysisBrief, AnalysisFilter, JobStore } from './jobs';
import type { SharedState } from './sharedState';

export type { CallEvent, CallEventType, EndReason, Turn } from '../call/types';

/** `web`: a call from the softphone page in a browser. */
export type Direction = 'inbound' | 'outbound' | 'web';

/**
 * Twilio's status of the call, as its status callbacks last reported it (`CallStatus`): `queued`, `initiated` and
 * `ringing` before it is answered, `in-progress` while it lasts, then one final status. A call that reached the
 * agent ends `completed`; `busy`, `no-answer`, `failed` and `canceled` never connected.
 */
export type CallOutcome =
  | 'queued'
  | 'initiated'
  | 'ringing'
  | 'in-progress'
  | 'completed'
  | 'busy'
  | 'no-answer'
  | 'failed'
  | 'canceled';

/**
 * Tokens by kind, summed over a call's responses and transcriptions. Input is split into uncached and cached
 * tokens (the API reports cached as a subset of input; `addResponseUsage` separates them), so each token is
 * counted once and priced at its own rate. Transcription billed by duration is counted in seconds instead.
 */
export interface TokenUsage {
  /** Uncached audio input. */
  audioIn: number;
  audioInCached: number;
  /** Uncached text input. */
  textIn: number;
  textInCached: number;
  audioOut: number;
  textOut: number;
  /** Input transcription (billed separately), input plus output tokens. */
  transcription: number;
  /** Input transcription billed by duration instead (gpt-realtime-whisper): seconds of audio transcribed. */
  transcriptionSeconds: number;
}

export interface NewCall {
  callSid: string;
  streamSid: string;
  direction: Direction;
  from: string;
  to: string;
  /** When the call reached us (the webhook), or the stream start if unknown. */
  startedAt: number;
  /** When the media stream started; for a call that never reached the agent, when it was first on record. */
  answeredAt: number;
  model: string;
  voice: string;
  personaName: string;
  audioMode: AudioMode;
  /** The server instance that has the call's stream (or placed it); none on records older than instances. */
  instanceId?: string;
}

/** Running numbers, rewritten as the call goes. */
export interface CallStats {
  bargeIns: number;
  /** Stream start → first agent audio. */
  firstAudioMs?: number;
  turnLatenciesMs: number[];
  usage: TokenUsage;
  costUsd: number;
}

export interface CallEnd {
  endedAt: number;
  endReason: EndReason;
  recordingFile?: string;
}

export interface CallSummary extends NewCall, CallStats {
  /** Unknown for a call nothing reported on yet (records older than this field, or no status callbacks). */
  outcome?: CallOutcome;
  endedAt?: number;
  /** How long the agent was on the call; none for a call that never reached it. */
  durationMs?: number;
  endReason?: EndReason;
  /** File name of the stereo WAV, relative to the recordings folder, when recorded. */
  recordingFile?: string;
  turnCount: number;
  /** The call's analysis, once one was asked for (its cost is apart from `costUsd`). */
  analysis?: AnalysisBrief;
}

export interface CallDetail extends CallSummary {
  transcript: Turn[];
  events: CallEvent[];
}

export interface CallFilter {
  /** Matches from or to (substring). */
  number?: string;
  endReason?: EndReason;
  direction?: Direction;
  outcome?: CallOutcome;
  since?: number;
  until?: number;
  /** Full-text-ish search over numbers and transcript text. */
  search?: string;
  analysis?: AnalysisFilter;
  limit?: number;
}

/** Which open calls `closeAbandoned` may close, when several instances share the records. */
export interface AbandonedScope {
  /** This instance: its open calls are left over from an earlier run under the same id. */
  instanceId: string;
  /** Instances that stopped heart-beating (`staleInstances`): nobody is carrying their calls any more. */
  staleInstances: string[];
}

/**
 * What a status callback says about a call. A call not on record yet is recorded from `call` without a stream
 * (`streamSid` empty), so a call that never connected still leaves a record with its outcome.
 */
export interface CallProgress {
  callSid: string;
  outcome: CallOutcome;
  at: number;
  call: Omit<NewCall, 'callSid' | 'streamSid' | 'answeredAt'>;
}

/**
 * Where call records are kept: SQLite (one process) or PostgreSQL (any number of instances). Every method returns a
 * promise. Writes for one call (`open`, `progress`, `addTurn`, `addEvent`, `updateStats`, `close`) are applied in
 * the order they were made, whether or not the caller waits for each; reads of a call (`get`) and `list` see every
 * write this store was asked to make before them. A rejected write rejects only its own promise: the next write for
 * the call still runs.
 */
export interface CallStore extends SharedState, JobStore {
  /**
   * Records the call's media stream: a new record, or the one its status callbacks started. A call whose stream
   * is on record already is refused.
   */
  open(call: NewCall): Promise<void>;
  /**
   * Moves a call's outcome forward (callbacks may arrive out of order; a call never goes back to ringing), creating
   * its record if there is none. A final outcome ends a record that has no stream. Resolves to the outcome on record.
   */
  progress(report: CallProgress): Promise<CallOutcome>;
  addTurn(callSid: string, turn: Turn): Promise<void>;
  addEvent(callSid: string, event: CallEvent): Promise<void>;
  updateStats(callSid: string, stats: CallStats): Promise<void>;
  close(callSid: string, end: CallEnd): Promise<void>;
  /**
   * Closes calls a crash left open, as 'crashed', at their last sign of life; resolves to how many. Without a
   * scope every open call counts (one instance); with one, only the calls of this instance, of the stale ones, and
   * those on record without an instance. Closing on behalf of stale instances forgets their heartbeats.
   */
  closeAbandoned(now: number, scope?: AbandonedScope): Promise<number>;
  /** Says that the instance is alive at `now`. */
  heartbeat(instanceId: string, now: number): Promise<void>;
  /**
   * Instances that have not heart-beaten since `olderThan`, and those holding open calls that never heart-beat at
   * all.
   */
  staleInstances(olderThan: number): Promise<string[]>;
  list(filter?: CallFilter): Promise<CallSummary[]>;
  /** The calls that started in the range at a glance, by local day (overview.ts); sees every write asked for before it. */
  overview(range: OverviewRange): Promise<Overview>;
  get(callSid: string): Promise<CallDetail | undefined>;
  /** Recording files of the calls that ended before `cutoff`. */
  recordingsEndedBefore(cutoff: number): Promise<string[]>;
  /**
   * Deletes calls that ended before `cutoff`, except those whose recording file is in `keepRecordings`; resolves to
   * the deleted calls' recording files.
   */
  deleteEndedBefore(cutoff: number, keepRecordings?: string[]): Promise<string[]>;
  /** Resolves once every write asked for so far has been applied (or has failed). */
  flush(): Promise<void>;
  /** Waits for the writes asked for so far, then closes the database. */
  shutdown(): Promise<void>;
}
