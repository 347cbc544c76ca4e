/** What a call is made of, as the call itself and its records see it. Times are epoch milliseconds. */

export type EndReason =
  | 'caller-hung-up'
  | 'agent-ended'
  | 'transferred'
  /** A call we placed reached an answering machine (and left a message, or hung up: its events say which). */
  | 'answering-machine'
  | 'max-duration'
  | 'idle-timeout'
  | 'model-error'
  | 'protocol-error'
  | 'server-shutdown'
  /** Left open by a crash; closed on the next start. */
  | 'crashed'
  | 'error';

export interface Turn {
  role: 'caller' | 'agent';
  /** As the caller heard it: an interrupted agent turn is cut at the barge-in point. */
  text: string;
  at: number;
  interrupted: boolean;
  /** Agent turns: ms of audio the caller heard, and ms the model produced. */
  heardMs?: number;
  spokenMs?: number;
  /** Agent turns: end of caller speech → first agent audio. */
  latencyMs?: number;
}

export type CallEventType = 'barge-in' | 'tool-call' | 'dtmf' | 'error' | 'warning' | 'reconnect' | 'note';

export interface CallEvent {
  at: number;
  type: CallEventType;
  /** One readable line, e.g. "interrupted after 2080 of 8400 ms". */
  summary: string;
  detail?: Record<string, unknown>;
}

