import { toAnalysisBrief, type AnalysisSummaryRow } from './jobRows';
import type { CallDetail, CallEvent, CallFilter, CallOutcome, CallSummary, EndReason, Turn } from './types';

/** What the SQLite and PostgreSQL stores share: the rows they read, how rows become records, and list limits. */

/** `list()` returns at most this many calls unless the filter asks for fewer. */
export const DEFAULT_LIST_LIMIT = 100;
export const MAX_LIST_LIMIT = 1000;

/** The note a call closed by `closeAbandoned` gets. */
export const ABANDONED_NOTE = 'the server stopped during this call; closed on the next start';

export interface CallRow extends AnalysisSummaryRow {
  call_sid: string;
  stream_sid: string;
  direction: string;
  from_number: string;
  to_number: string;
  started_at: number;
  answered_at: number;
  ended_at: number | null;
  end_reason: string | null;
  model: string;
  voice: string;
  persona_name: string;
  audio_mode: string;
  barge_ins: number;
  first_audio_ms: number | null;
  turn_latencies_json: string;
  tokens_audio_in: number;
  tokens_audio_in_cached: number;
  tokens_text_in: number;
  tokens_text_in_cached: number;
  tokens_audio_out: number;
  tokens_text_out: number;
  tokens_transcription: number;
  transcription_seconds: number;
  cost_usd: number;
  recording_file: string | null;
  outcome: string | null;
  instance_id: string | null;
  turn_count: number;
}

export interface TurnRow {
  role: string;
  text: string;
  at: number;
  /** 0 or 1 in SQLite, a boolean in PostgreSQL. */
  interrupted: number | boolean;
  heard_ms: number | null;
  spoken_ms: number | null;
  latency_ms: number | null;
}

export interface EventRow {
  at: number;
  type: string;
  summary: string;
  detail_json: string | null;
}

/** The list limit a filter asks for, within bounds. */
export function listLimit(filter: CallFilter): number {
  return Math.max(1, Math.min(filter.limit ?? DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT));
}

/** Phone numbers are stored as E.164 (+15551234567); "(555) 123-4567" should still find them. */
export function numberNeedle(input: string): string {
  const digits = input.replace(/\D/g, '');
  return digits.length >= 3 ? digits : input;
}

/** `text` as a LIKE pattern that matches it anywhere, its wildcards taken literally (escape character `\`). */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export function storedOutcome(value: string | null | undefined): CallOutcome | undefined {
  return value === null || value === undefined ? undefined : (value as CallOutcome);
}

export function toSummary(row: CallRow): CallSummary {
  const summary: CallSummary = {
    callSid: row.call_sid,
    streamSid: row.stream_sid,
    direction: row.direction as CallSummary['direction'],
    from: row.from_number,
    to: row.to_number,
    startedAt: row.started_at,
    answeredAt: row.answered_at,
    model: row.model,
    voice: row.voice,
    personaName: row.persona_name,
    audioMode: row.audio_mode as CallSummary['audioMode'],
    bargeIns: row.barge_ins,
    turnLatenciesMs: JSON.parse(row.turn_latencies_json) as number[],
    usage: {
      audioIn: row.tokens_audio_in,
      audioInCached: row.tokens_audio_in_cached,
      textIn: row.tokens_text_in,
      textInCached: row.tokens_text_in_cached,
      audioOut: row.tokens_audio_out,
      textOut: row.tokens_text_out,
      transcription: row.tokens_transcription,
      transcriptionSeconds: row.transcription_seconds,
    },
    costUsd: row.cost_usd,
    turnCount: row.turn_count,
  };
  if (row.instance_id !== null) summary.instanceId = row.instance_id;
  if (row.first_audio_ms !== null) summary.firstAudioMs = row.first_audio_ms;
  if (row.outcome !== null) summary.outcome = row.outcome as CallOutcome;
  if (row.ended_at !== null) {
    summary.endedAt = row.ended_at;
    if (row.stream_sid !== '') summary.durationMs = Math.max(0, row.ended_at - row.answered_at);
  }
  if (row.end_reason !== null) summary.endReason = row.end_reason as EndReason;
  if (row.recording_file !== null) summary.recordingFile = row.recording_file;
  const analysis = toAnalysisBrief(row);
  if (analysis) summary.analysis = analysis;
  return summary;
}

export function toTurn(row: TurnRow): Turn {
  const turn: Turn = { role: row.role as Turn['role'], text: row.text, at: row.at, interrupted: row.interrupted === 1 || row.interrupted === true };
  if (row.heard_ms !== null) turn.heardMs = row.heard_ms;
  if (row.spoken_ms !== null) turn.spokenMs = row.spoken_ms;
  if (row.latency_ms !== null) turn.latencyMs = row.latency_ms;
  return turn;
}

export function toEvent(row: EventRow): CallEvent {
  const event: CallEvent = { at: row.at, type: row.type as CallEvent['type'], summary: row.summary };
  if (row.detail_json !== null) event.detail = JSON.parse(row.detail_json) as Record<string, unknown>;
  return event;
}

export function toDetail(row: CallRow, turns: TurnRow[], events: EventRow[]): CallDetail {
  return { ...toSummary(row), transcript: turns.map(toTurn), events: events.map(toEvent) };
}
