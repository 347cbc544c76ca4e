import { performance } from 'node:perf_hooks';
import type { RealtimeClientEvent, RealtimeServerEvent } from 'openai/resources/realtime/realtime';
import type { Config } from '../config';
import type { Logger } from '../log';
import { greetingResponse, phoneSession, type OpenAIRealtimeWS } from '../realtime';
import { outbound, parseTwilioMessage, type TwilioMessage, type TwilioStart } from '../telephony';
import { createAudioPath, type AudioPath } from './audioPath';
import { PlaybackTracker } from './playback';

/** The Twilio side of a call, as express-ws hands it to us. */
export interface TwilioSocket {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export interface CallSessionDeps {
  config: Pick<Config, 'persona' | 'audioMode' | 'vad' | 'noiseReduction' | 'transcription'>;
  log: Logger;
  openRealtime: () => OpenAIRealtimeWS;
  onEnded?: (session: CallSession) => void;
}

const OPEN = 1;
/** Agent audio goes to Twilio in chunks of this many ms, each followed by a mark: the resolution of "heard". */
const CHUNK_MS = 40;
const MULAW_BYTES_PER_MS = 8;
/** Caller audio kept while the model socket is still opening; older audio is dropped beyond this. */
const MAX_PENDING_INPUT_MS = 5000;

/**
 * One phone call: one Twilio media stream bridged to one Realtime session. Owns all of that call's state;
 * everything it does goes through its own logger.
 */
export class CallSession {
  private log: Logger;
  private streamSid: string | undefined;
  private callSid: string | undefined;
  private rt: OpenAIRealtimeWS | undefined;
  private readonly audio: AudioPath;
  private readonly playback = new PlaybackTracker();
  private modelReady = false;
  private pendingInput: Array<{ audio: string; ms: number }> = [];
  private activeResponseId: string | undefined;
  private startedAt = 0;
  private callerStoppedAt: number | undefined;
  private firstAudioLogged = false;
  private bargeIns = 0;
  private ended = false;

  constructor(
    private readonly twilio: TwilioSocket,
    private readonly deps: CallSessionDeps,
  ) {
    this.log = deps.log;
    this.audio = createAudioPath(deps.config.audioMode);
  }

  get ids(): { callSid?: string; streamSid?: string } {
    return { callSid: this.callSid, streamSid: this.streamSid };
  }

  /** Every frame Twilio sends. A frame we cannot trust ends this stream, and only this stream. */
  handleFrame(frame: unknown): void {
    if (this.ended) return;
    const parsed = parseTwilioMessage(frame);
    if (!parsed.ok) return this.reject(parsed.reason);
    const message = parsed.message;
    if (message.event === 'connected') return;
    if (message.event === 'start') {
      if (this.streamSid) return this.reject('a second start message');
      return this.start(message);
    }
    if (!this.streamSid) return this.reject(`"${message.event}" before start`);
    if (message.streamSid !== this.streamSid) return this.reject(`wrong streamSid ${message.streamSid}`);
    this.handleStreamEvent(message);
  }

  /** Twilio's socket closed (the call ended, or the network dropped). */
  handleTwilioClosed(): void {
    this.end('twilio stream closed');
  }

  /** Ends the call: the model socket closes at once, so a dead call never keeps billing. */
  end(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    const durationMs = this.startedAt ? Math.round(performance.now() - this.startedAt) : 0;
    this.log.info('call ended', { reason, durationMs, bargeIns: this.bargeIns });
    this.closeModel();
    if (this.twilio.readyState === OPEN) this.twilio.close(1000, 'call ended');
    this.deps.onEnded?.(this);
  }

  private reject(reason: string): void {
    this.log.warn('closing media stream: bad message from Twilio', { reason });
    this.end(`protocol error: ${reason}`);
  }

  private handleStreamEvent(message: Exclude<TwilioMessage, { event: 'connected' | 'start' }>): void {
    switch (message.event) {
      case 'media':
        return this.forwardCallerAudio(Buffer.from(message.media.payload, 'base64'));
      case 'mark':
        this.playback.acknowledged(message.mark.name);
        return;
      case 'dtmf':
        this.log.info('caller pressed a key', { digit: message.dtmf.digit });
        return;
      case 'stop':
        return this.end('caller hung up');
    }
  }

  private start(message: TwilioStart): void {
    this.streamSid = message.streamSid;
    this.callSid = message.start.callSid;
    this.startedAt = performance.now();
    this.log = this.deps.log.child({ callSid: this.callSid, streamSid: this.streamSid });
    const { from, to } = message.start.customParameters;
    this.log.info('call started', { from, to, audioMode: this.deps.config.audioMode });
    this.connectModel();
  }

  private connectModel(): void {
    let rt: OpenAIRealtimeWS;
    try {
      rt = this.deps.openRealtime();
    } catch (err) {
      this.log.error('could not open the model session', { error: (err as Error).message });
      return this.end('model unavailable');
    }
    this.rt = rt;
    // Without an error listener the SDK turns errors into unhandled rejections that kill the process.
    rt.on('error', (err) => {
      const code = err.error?.code ?? undefined;
      if (code === 'session_expired') {
        this.log.error('model session expired', { code, message: err.error?.message });
        return this.end('model session expired');
      }
      this.log.warn('model error', { code, message: err.error?.message ?? err.message, cause: causeOf(err) });
    });
    rt.socket.on('close', (code, reason) => {
      if (this.ended) return;
      this.log.error('model socket closed during the call', { code, reason: reason.toString() });
      this.end('model disconnected');
    });
    rt.on('event', (event) => this.handleModelEvent(event));
  }

  private handleModelEvent(event: RealtimeServerEvent): void {
    if (this.ended) return;
    switch (event.type) {
      case 'session.created':
        return this.sendToModel({ type: 'session.update', session: phoneSession(this.deps.config) });
      case 'session.updated':
        return this.onSessionReady();
      case 'response.created':
        this.activeResponseId = event.response.id;
        return;
      case 'response.output_audio.delta':
        return this.playAgentAudio(event.response_id, event.item_id, event.delta);
      case 'response.done':
        if (this.activeResponseId === event.response.id) this.activeResponseId = undefined;
        if (event.response.id) this.playback.responseDone(event.response.id);
        this.log.debug('response done', { status: event.response.status, usage: event.response.usage });
        return;
      case 'input_audio_buffer.speech_started':
        return this.onCallerStartedSpeaking();
      case 'input_audio_buffer.speech_stopped':
        this.callerStoppedAt = performance.now();
        return;
      case 'conversation.item.input_audio_transcription.completed':
        this.log.info('caller said', { text: event.transcript });
        return;
      case 'response.output_audio_transcript.done':
        this.log.info('agent said', { text: event.transcript, heardMs: this.playback.heardMs(event.item_id) });
        return;
    }
  }

  private onSessionReady(): void {
    if (this.modelReady) return;
    this.modelReady = true;
    for (const { audio } of this.pendingInput) this.sendToModel({ type: 'input_audio_buffer.append', audio });
    this.pendingInput = [];
    const { greeting } = this.deps.config.persona;
    if (greeting) this.sendToModel(greetingResponse(greeting));
  }

  private forwardCallerAudio(mulaw: Buffer): void {
    const audio = this.audio.toModel(mulaw);
    if (this.modelReady) return this.sendToModel({ type: 'input_audio_buffer.append', audio });
    // The session is not configured yet: keep the latest few seconds so the caller's first words are not lost.
    this.pendingInput.push({ audio, ms: mulaw.length / MULAW_BYTES_PER_MS });
    let keptMs = this.pendingInput.reduce((sum, chunk) => sum + chunk.ms, 0);
    while (keptMs > MAX_PENDING_INPUT_MS) keptMs -= this.pendingInput.shift()!.ms;
  }

  private playAgentAudio(responseId: string, itemId: string, delta: string): void {
    if (this.playback.isDropped(responseId)) return;
    const mulaw = this.audio.toCaller(delta);
    if (mulaw.length === 0) return;
    this.logLatency();
    const chunkBytes = CHUNK_MS * MULAW_BYTES_PER_MS;
    for (let offset = 0; offset < mulaw.length; offset += chunkBytes) {
      const chunk = mulaw.subarray(offset, offset + chunkBytes);
      this.sendToTwilio(outbound.media(this.streamSid!, chunk.toString('base64')));
      const mark = this.playback.sent(responseId, itemId, chunk.length / MULAW_BYTES_PER_MS);
      this.sendToTwilio(outbound.mark(this.streamSid!, mark));
    }
  }

  /**
   * Barge-in. If agent audio is queued or playing, the caller is talking over it: clear Twilio first
   * (latency matters more than bookkeeping), then truncate each cut item at what the caller heard so the
   * model remembers only that. A response still generating is cancelled by the server itself, because the
   * session sets interrupt_response; its late deltas are dropped here. With nothing playing this is an
   * ordinary turn and playback is left alone.
   */
  private onCallerStartedSpeaking(): void {
    if (!this.playback.isPlaying) return;
    this.sendToTwilio(outbound.clear(this.streamSid!));
    const truncations = this.playback.interrupt(this.activeResponseId);
    this.audio.resetOutput();
    for (const t of truncations) {
      this.sendToModel({ type: 'conversation.item.truncate', item_id: t.itemId, content_index: 0, audio_end_ms: t.audioEndMs });
    }
    this.bargeIns++;
    this.log.info('barge-in', {
      truncations: truncations.map((t) => ({ itemId: t.itemId, heardMs: t.audioEndMs, sentMs: Math.round(t.sentMs) })),
    });
  }

  private logLatency(): void {
    const now = performance.now();
    if (!this.firstAudioLogged) {
      this.firstAudioLogged = true;
      this.log.info('first agent audio', { sinceStartMs: Math.round(now - this.startedAt) });
    } else if (this.callerStoppedAt !== undefined) {
      this.log.debug('agent responded', { latencyMs: Math.round(now - this.callerStoppedAt) });
    }
    this.callerStoppedAt = undefined;
  }

  private sendToTwilio(message: string): void {
    if (this.twilio.readyState === OPEN) this.twilio.send(message);
  }

  private sendToModel(event: RealtimeClientEvent): void {
    if (this.rt?.socket.readyState === OPEN) this.rt.send(event);
  }

  private closeModel(): void {
    const socket = this.rt?.socket;
    if (!socket) return;
    // terminate() works in every state; close() on a socket still connecting throws.
    if (socket.readyState === OPEN) this.rt!.close({ code: 1000, reason: 'call ended' });
    else socket.terminate();
  }
}

function causeOf(err: Error): string | undefined {
  const cause = (err as { cause?: unknown }).cause;
  return cause instanceof Error ? cause.message : undefined;
}
