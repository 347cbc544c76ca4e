import type { ResponseUsage, TranscriptionUsage } from '../realtime';
import type { CallEvent, EndReason, Turn } from './types';

/** What a call tells its record as it goes. Implementations must never throw into the call. */
export interface CallRecorder {
  turn(turn: Turn): void;
  event(event: Omit<CallEvent, 'at'>): void;
  bargeIn(truncations: Array<{ itemId: string; heardMs: number; sentMs: number }>): void;
  firstAudio(sinceStartMs: number): void;
  turnLatency(latencyMs: number): void;
  responseUsage(usage: ResponseUsage | undefined): void;
  transcriptionUsage(usage: TranscriptionUsage | undefined): void;
  /** Caller audio as received, at its stream timestamp. */
  callerAudio(mulaw: Uint8Array, atMs: number): void;
  /** Agent audio as sent to Twilio, at ms since the stream started. */
  agentAudio(mulaw: Uint8Array, atMs: number): void;
  /** Twilio's playback was cleared at this point: queued agent audio never played. */
  agentCleared(atMs: number): void;
  finish(reason: EndReason): void;
}
