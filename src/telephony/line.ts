/**
 * A caller on a line: what any telephony entry (Twilio Media Streams, a browser softphone, …) gives a call
 * and takes from it. Audio is μ-law 8 kHz both ways. The wire format, its validation and its limits stay in
 * the implementation.
 */

/** Who is calling, once the line has admitted the stream. */
export interface LineStart {
  /** The call's id (Twilio's CallSid). */
  callSid: string;
  /** The stream's id on this line. */
  streamSid: string;
  from: string;
  to: string;
  /** `inbound`, or `outbound-…` for calls we placed. */
  direction: string;
  /** When the call reached us (the webhook), epoch ms. */
  reachedAt: number;
}

export interface LineEvents {
  /** The stream was admitted: it is a call from now on. */
  started(start: LineStart): void;
  /** Caller audio, at its position on the stream's timeline (ms). */
  audio(mulaw: Buffer, timestampMs: number): void;
  /** Playback passed a mark we sent, or a clear flushed it: the call tells the two apart. */
  markPlayed(name: string): void;
  /** The caller pressed a key (0-9, *, #, A-D). */
  digit(digit: string): void;
  /** The caller hung up, or the line is gone. `failure` says why when it broke (bad input, a dead peer). */
  ended(failure?: string): void;
}

export interface Line {
  /** Plays one chunk of agent audio, followed by the mark `name` (echoed once it has played). */
  play(chunk: Buffer, mark: string): void;
  /** Drops every chunk not played yet. */
  clear(): void;
  /** Hangs up: the line closes. */
  hangUp(): void;
  /** Hands the caller to another number (E.164); the line closes and the telephony entry dials it. */
  transfer(number: string): void;
  /**
   * How long a message takes to reach the caller's end of the line and an answer to come back (ms), as measured;
   * undefined until it is.
   */
  readonly roundTripMs?: number;
}
