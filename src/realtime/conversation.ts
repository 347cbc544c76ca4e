import type {
  ConversationItemInputAudioTranscriptionCompletedEvent,
  RealtimeResponseUsage,
} from 'openai/resources/realtime/realtime';

/**
 * A realtime conversation with a speech model: what a call needs of one, whichever model and protocol are
 * behind it. Audio is μ-law 8 kHz both ways (telephone audio); any transcoding happens behind this seam.
 * One conversation may go through several model sessions: when one is lost, `connect()` opens the next.
 */

/** Usage as the provider reports it, for the call's records (priced by the store). */
export type ResponseUsage = RealtimeResponseUsage;
export type TranscriptionUsage = ConversationItemInputAudioTranscriptionCompletedEvent['usage'];

export interface ResponseOutcome {
  id: string;
  /** `cancelled`: the caller talked over it, or we cancelled it. */
  status: 'completed' | 'cancelled' | 'failed' | 'incomplete' | 'in_progress';
  usage?: ResponseUsage;
  /** Why a failed response failed, as the provider says. */
  failure?: unknown;
}

export interface ToolCall {
  responseId: string;
  callId: string;
  name: string;
  /** The arguments as the model wrote them: JSON text, not validated. */
  arguments: string;
}

export interface ConversationEvents {
  /** A session is configured and takes audio. `sessions` counts sessions so far (2+ is a reconnect). */
  ready(sessions: number): void;
  /** The session is gone. `retryable` is false when a new attempt cannot help (refused key or settings). */
  lost(why: string, retryable: boolean): void;
  /** Something went wrong that the session survives; for the log and the record. */
  error(message: string, code: string | undefined): void;
  /** We asked for a response while one was already running: the request was refused. */
  busy(): void;
  responseStarted(responseId: string): void;
  agentAudio(responseId: string, itemId: string, mulaw: Buffer): void;
  agentTextDelta(itemId: string, text: string): void;
  /** The item's whole transcript: everything the model said in it, heard or not. */
  agentText(itemId: string, text: string): void;
  responseDone(outcome: ResponseOutcome): void;
  callerStartedSpeaking(itemId: string): void;
  callerStoppedSpeaking(): void;
  callerSaid(itemId: string, text: string, usage: TranscriptionUsage | undefined): void;
  toolCall(call: ToolCall): void;
}

/** A turn of the conversation as the caller heard it, or a tool call and its output, to seed a new session with. */
export type SeedTurn =
  | { role: 'caller' | 'agent'; text: string }
  | { role: 'tool'; callId: string; name: string; arguments: string; output: string };

export interface Conversation {
  /** Opens a (new) session; `ready` or `lost` follows. */
  connect(): void;
  readonly ready: boolean;
  /** Sessions opened so far. */
  readonly sessions: number;
  /** Caller audio: sent now, or kept (the last few seconds) until the session is ready. */
  appendAudio(mulaw: Buffer): void;
  /** Drops the caller audio kept for a session not ready yet; returns its ms. */
  discardPendingAudio(): number;
  /** Asks for a response, with instructions for it. */
  respond(instructions?: string): void;
  /** The caller heard only the first `audioEndMs` of an item: the model forgets the rest. */
  truncate(itemId: string, audioEndMs: number): void;
  /** Agent audio was cut off (a barge-in): the next audio starts afresh. */
  agentAudioCut(): void;
  /** The output of a tool call; the model answers it once asked to respond. */
  toolResult(callId: string, output: string): void;
  /** Something the caller did that is not speech (a key press), as text the model reads. */
  callerNote(text: string): void;
  /** Gives a new session the conversation so far. */
  seed(turns: readonly SeedTurn[]): void;
  /** Closes the session on purpose: no `lost` follows. */
  close(): void;
}
