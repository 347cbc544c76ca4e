import { keepAlive, type PingableSocket } from '../keepAlive';
import { FloodGuard } from './floodGuard';
import type { Line, LineEvents, LineStart } from './line';
import { outbound, parseTwilioMessage, type InboundMessage, type TwilioStart } from './mediaStream';

/** The peer's side of a media stream, as express-ws hands it to us. */
export interface MediaStreamSocket extends PingableSocket {
  readonly readyState: number;
  /** The TCP socket under the websocket (ws keeps it here); absent in tests' stand-ins. */
  readonly _socket?: { cork(): void; uncork(): void };
  send(data: string): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
  on(event: 'pong', listener: () => void): unknown;
}

export type Admission = { ok: true; reachedAt: number } | { ok: false; reason: string };

export interface MediaStreamLineOptions {
  /** Decides whether a stream may be bridged (its token); may take a moment (a shared store). */
  admit: (start: TwilioStart) => Admission | Promise<Admission>;
  /** A stream that has not sent `start` this long after connecting is closed. */
  startTimeoutMs: number;
  /** A peer that leaves a ping unanswered this long is gone. */
  keepAliveMs: number;
}

const OPEN = 1;
/** Media Streams messages are a few hundred bytes; anything this big is not a media stream. */
export const MAX_MESSAGE_BYTES = 64 * 1024;
/** About 50 media messages a second come in; echoes of our own marks are not counted. */
const MAX_MESSAGES_PER_SECOND = 500;
/** Messages kept while a stream's admission is being decided: a few seconds of media at most. */
const MAX_WAITING_MESSAGES = 250;
/**
 * The first pings go out this often from the start: they time the round trip, which a caller talking over the
 * first words already needs, and a few answers give its least. Then one every `keepAliveMs` is enough.
 */
const FIRST_PINGS = { count: 8, intervalMs: 250 };

/**
 * A caller on a bidirectional Media Stream (Twilio's JSON messages: start, media, mark, dtmf, stop). Every frame
 * is validated here; a frame we cannot trust closes this stream (1008, or 1009 when too big) with a reason, and
 * only this stream. Subclasses say who the caller is and what a transfer does on their kind of line.
 */
export abstract class MediaStreamLine implements Line {
  private events: LineEvents | undefined;
  private streamSid: string | undefined;
  private admittedCallSid: string | undefined;
  private readonly floodGuard = new FloodGuard(MAX_MESSAGES_PER_SECOND);
  /** Marks sent and not yet echoed: the peer echoes each once, when played or when a clear flushes it. */
  private readonly marksOut = new Set<string>();
  private done = false;
  /** The socket is corked until the end of this tick (see `send`). */
  private corked = false;
  /** Set while `start` is being admitted: what arrived meanwhile, delivered once it is. */
  private waiting: Array<Exclude<InboundMessage, { event: 'connected' | 'start' }>> | undefined;
  /** Why the stream was closed by us, if it was. */
  private failure: string | undefined;
  private readonly stopTimers: () => void;
  /** The least round trip any answer to a ping took: what the network always adds (queueing comes and goes). */
  private leastRoundTripMs = Infinity;

  /** `peer` names the other end in reasons, e.g. "Twilio stopped answering pings". */
  constructor(
    private readonly ws: MediaStreamSocket,
    private readonly options: MediaStreamLineOptions,
    peer: string,
  ) {
    const startTimer = setTimeout(() => {
      if (!this.streamSid) this.fail(`no start message within ${options.startTimeoutMs} ms`);
    }, options.startTimeoutMs);
    // A half-open connection never closes by itself; a peer that stops answering pings is gone.
    const stopKeepAlive = keepAlive(ws, {
      intervalMs: options.keepAliveMs,
      firstPings: FIRST_PINGS,
      deadAfterMs: options.keepAliveMs,
      onDead: () => {
        this.fail(`${peer} stopped answering pings`);
        ws.terminate();
      },
      onRoundTrip: (ms) => (this.leastRoundTripMs = Math.min(this.leastRoundTripMs, ms)),
    });
    this.stopTimers = () => {
      clearTimeout(startTimer);
      stopKeepAlive();
    };
    // ws hands every frame over as a Buffer and says whether it was binary; Twilio's are JSON text.
    ws.on('message', (data, isBinary) => this.onFrame(data, isBinary));
    ws.on('close', () => this.finish());
  }

  /** Whoever handles the call; frames before it attaches would be lost, so attach at once. */
  attach(events: LineEvents): void {
    this.events = events;
  }

  play(chunk: Buffer, mark: string): void {
    this.send(outbound.media(this.streamSid!, chunk.toString('base64')));
    this.marksOut.add(mark);
    this.send(outbound.mark(this.streamSid!, mark));
  }

  clear(): void {
    this.send(outbound.clear(this.streamSid!));
    // A barge-in's clear leaves at once, not after the rest of its tick (truncations, records).
    this.uncork();
  }

  get roundTripMs(): number | undefined {
    return Number.isFinite(this.leastRoundTripMs) ? this.leastRoundTripMs : undefined;
  }

  /** Closes the stream normally. */
  hangUp(): void {
    if (this.ws.readyState === OPEN) this.ws.close(1000, 'call ended');
  }

  abstract transfer(number: string): void;

  /** Who is calling whom, from the admitted `start`. */
  protected abstract caller(start: TwilioStart): Pick<LineStart, 'from' | 'to' | 'direction'>;

  /** The admitted call's id; undefined before `start`. */
  protected get callSid(): string | undefined {
    return this.admittedCallSid;
  }

  /**
   * Everything sent in one tick (a delta's chunks, each with its mark; a mark echo's next chunk) leaves in one
   * socket write at the end of the tick instead of one write per message: socket writes were the largest cost of
   * playing agent audio.
   */
  protected send(message: string): void {
    if (this.ws.readyState !== OPEN) return;
    if (this.ws._socket && !this.corked) {
      this.corked = true;
      this.ws._socket.cork();
      process.nextTick(() => this.uncork());
    }
    this.ws.send(message);
  }

  private uncork(): void {
    if (!this.corked) return;
    this.corked = false;
    this.ws._socket?.uncork();
  }

  private onFrame(frame: Buffer, isBinary: boolean): void {
    if (this.done) return;
    if (frame.length > MAX_MESSAGE_BYTES) return this.fail('message too big', 1009);
    if (isBinary) return this.fail('binary frame (Twilio sends JSON text frames only)');
    const parsed = parseTwilioMessage(frame);
    // Echoes of our own marks are bounded by the marks we sent: a clear makes them arrive all at once.
    const ourEcho = parsed.ok && parsed.message.event === 'mark' && this.marksOut.delete(parsed.message.mark.name);
    if (!ourEcho && !this.floodGuard.allow()) return this.fail('message flood');
    if (!parsed.ok) return this.fail(parsed.reason);
    const message = parsed.message;
    if (message.event === 'connected') return;
    if (message.event === 'start') {
      if (this.streamSid) return this.fail('a second start message');
      return this.start(message);
    }
    if (!this.streamSid) return this.fail(`"${message.event}" before start`);
    if (message.streamSid !== this.streamSid) return this.fail(`wrong streamSid ${message.streamSid}`);
    if (!this.waiting) return this.onStreamEvent(message);
    if (this.waiting.push(message) > MAX_WAITING_MESSAGES) this.fail('too many messages while the stream was being admitted');
  }

  private start(message: TwilioStart): void {
    this.streamSid = message.streamSid;
    const admission = this.options.admit(message);
    if (!(admission instanceof Promise)) return this.admitted(message, admission);
    this.waiting = [];
    admission.then(
      (decided) => this.admitted(message, decided),
      (err: Error) => this.fail(`stream refused: could not check its token (${err.message})`),
    );
  }

  private admitted(message: TwilioStart, admission: Admission): void {
    if (this.done) return;
    if (!admission.ok) return this.fail(`stream refused: ${admission.reason}`);
    const waiting = this.waiting ?? [];
    this.waiting = undefined;
    this.admittedCallSid = message.start.callSid;
    const start: LineStart = {
      callSid: message.start.callSid,
      streamSid: message.streamSid,
      ...this.caller(message),
      reachedAt: admission.reachedAt,
    };
    this.events?.started(start);
    for (const later of waiting) if (!this.done) this.onStreamEvent(later);
  }

  private onStreamEvent(message: Exclude<InboundMessage, { event: 'connected' | 'start' }>): void {
    switch (message.event) {
      case 'media':
        return this.events?.audio(message.audio, message.timestampMs);
      case 'mark':
        return this.events?.markPlayed(message.mark.name);
      case 'dtmf':
        return this.events?.digit(message.dtmf.digit);
      case 'stop':
        return this.finish();
    }
  }

  /** The stream broke: close it with the reason, and end the call. */
  private fail(reason: string, closeCode = 1008): void {
    if (this.done) return;
    // The close may be reported at once: by then the reason must be known.
    this.failure = reason;
    if (this.ws.readyState === OPEN) this.ws.close(closeCode, closeReason(reason));
    this.finish();
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.stopTimers();
    this.events?.ended(this.failure);
  }
}

/** A websocket close reason is at most 123 bytes of UTF-8. */
function closeReason(reason: string): string {
  return Buffer.from(reason.replace(/[^\x20-\x7e]/g, '?')).subarray(0, 120).toString();
}
