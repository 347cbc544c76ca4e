import { performance } from 'node:perf_hooks';
import type { RealtimeServerEvent } from 'openai/resources/realtime/realtime';
import { mulawSilence } from '../audio';
import type { Config } from '../config';
import { personalLevel, type Logger } from '../log';
import { greetingInstructions, phoneSession, reseedItems, type OpenAIRealtimeWS } from '../realtime';
import type { EndReason } from '../store/types';
import { FloodGuard, outbound, parseTwilioMessage, type TwilioMessage, type TwilioStart } from '../telephony';
import { createAudioPath, type AudioPath } from './audioPath';
import { Conversation } from './conversation';
import { InputGapFiller } from './inputGaps';
import { CallLimits } from './limits';
import { ModelLink } from './modelLink';
import { Playback } from './playback';
import type { CallRecorder } from './recorder';
import { SpeechQueue, type Speech } from './speechQueue';

/** The Twilio side of a call, as express-ws hands it to us. */
export interface TwilioSocket {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type Admission = { ok: true; reachedAt: number } | { ok: false; reason: string };

export interface CallSessionDeps {
  config: Pick<Config, 'persona' | 'audioMode' | 'vad' | 'noiseReduction' | 'transcription' | 'reasoning' | 'limits' | 'log'>;
  log: Logger;
  openRealtime: () => OpenAIRealtimeWS;
  /** Decides whether a stream may be bridged (stream token check). */
  admit: (start: TwilioStart) => Admission;
  /** Starts the call's record; none in tests that do not care. */
  record?: (start: TwilioStart, reachedAt: number) => CallRecorder;
  /** The stream was admitted: from now on it is an active call. */
  onAdmitted?: (session: CallSession) => void;
  /** μ-law 8 kHz audio played when the model cannot be reached: it must work without the model. */
  apologyAudio: Buffer;
  onEnded?: (session: CallSession) => void;
}

const OPEN = 1;
const MULAW_BYTES_PER_MS = 8;
/** Twilio's messages are a few hundred bytes; anything this big is not Twilio. */
export const MAX_MESSAGE_BYTES = 64 * 1024;
/** Twilio sends ~50 media messages a second; echoes of our own marks are not counted. */
const MAX_MESSAGES_PER_SECOND = 500;
/** New model sessions a call may open after the first one fails or drops. */
const MAX_RECONNECTS = 3;
const RECONNECT_DELAYS_MS = [0, 500, 2000];
/** While the caller is speaking, no media for this long means Twilio stopped sending: fill with silence. */
const MEDIA_STALL_MS = 750;
const STALL_FILL_MS = 1000;
/** A goodbye that never finishes playing still ends the call after this long. */
const GOODBYE_TIMEOUT_MS = 20_000;
/** The apology plays as an item of its own, so its last mark says when it has been heard. */
const APOLOGY_ITEM = 'apology';
const BUSY_CODE = 'conversation_already_has_active_response';

/**
 * One phone call: one Twilio media stream bridged to one Realtime session (or a new one, if the first
 * fails). Owns all of that call's state; everything it does goes through its own logger and recorder.
 */
export class CallSession {
  private log: Logger;
  private streamSid: string | undefined;
  private callSid: string | undefined;
  private recorder: CallRecorder | undefined;
  private readonly audio: AudioPath;
  private readonly playback = new Playback({
    send: (chunk, mark) => {
      this.sendToTwilio(outbound.media(this.streamSid!, chunk.toString('base64')));
      this.recorder?.agentAudio(chunk, this.sinceStartMs());
      this.sendToTwilio(outbound.mark(this.streamSid!, mark));
    },
    // Every clear (barge-in, reconnect, apology) drops unplayed audio from the recording too.
    clear: () => {
      this.sendToTwilio(outbound.clear(this.streamSid!));
      this.recorder?.agentCleared(this.sinceStartMs());
    },
  });
  private readonly speech = new SpeechQueue((instructions) => this.model.send({ type: 'response.create', response: { instructions } }));
  private readonly conversation = new Conversation((turn) => {
    this.recorder?.turn(turn);
    if (turn.role === 'agent') this.log.log(personalLevel(this.deps.config.log), 'agent said', { text: turn.text, interrupted: turn.interrupted });
  });
  private readonly floodGuard = new FloodGuard(MAX_MESSAGES_PER_SECOND);
  private readonly gaps = new InputGapFiller();
  private readonly limits: CallLimits;
  private readonly timers = new Set<NodeJS.Timeout>();

  private readonly model: ModelLink;
  private activeResponseId: string | undefined;
  private failedResponsesInARow = 0;
  private modelWasReady = false;

  private startedAt = 0;
  private lastMediaAt = 0;
  private callerSpeaking = false;
  private callerStoppedAt: number | undefined;
  private firstAudioSeen = false;
  /** Set once the call is winding down: the reason it will end with. */
  private ending: EndReason | undefined;
  private goodbyeSpoken = false;
  private ended = false;

  constructor(
    private readonly twilio: TwilioSocket,
    private readonly deps: CallSessionDeps,
  ) {
    this.log = deps.log;
    this.audio = createAudioPath(deps.config.audioMode);
    const { limits } = deps.config;
    this.model = new ModelLink(
      deps.openRealtime,
      () => phoneSession(deps.config),
      {
        event: (event) => this.guarded(`model event ${event.type}`, () => this.handleModelEvent(event)),
        ready: (sessions) => this.guarded('a model session start', () => this.onModelReady(sessions)),
        lost: (why, retryable) => this.guarded('a lost model session', () => this.modelLost(why, retryable)),
        error: (message, code, cause) => this.guarded('a model error', () => this.onModelError(message, code, cause)),
      },
      { readyTimeoutMs: limits.modelReadyTimeoutMs, keepAliveMs: limits.keepAliveMs },
    );
    this.limits = new CallLimits(limits, {
      nearMaxDuration: () => this.say({ instructions: 'Tell the caller, briefly and politely, that the call will have to end in a moment.' }),
      maxDurationReached: () => this.endWithGoodbye('max-duration', 'The call has reached its time limit. Say a short, friendly goodbye.'),
      idleWarning: () => this.say({ instructions: 'Ask whether the caller is still there.', obsoleteWhenCallerSpeaks: true }),
      idleReached: () => this.endWithGoodbye('idle-timeout', 'The caller has gone quiet. Say a short, friendly goodbye.'),
    });
    // A socket that never says which call it is must not hold on to anything.
    this.after(limits.streamStartTimeoutMs, () => {
      if (!this.streamSid) this.reject(`no start message within ${limits.streamStartTimeoutMs} ms`);
    });
  }

  get ids(): { callSid?: string; streamSid?: string } {
    return { callSid: this.callSid, streamSid: this.streamSid };
  }

  /** Every frame Twilio sends. A frame we cannot trust ends this stream, and only this stream. */
  handleFrame(frame: unknown): void {
    this.guarded('a Twilio message', () => this.handleTwilioFrame(frame));
  }

  private handleTwilioFrame(frame: unknown): void {
    if (this.ended) return;
    if (byteLength(frame) > MAX_MESSAGE_BYTES) return this.reject('message too big', 1009);
    const parsed = parseTwilioMessage(frame);
    // Echoes of our own marks are bounded by the marks we sent: a clear makes them arrive all at once.
    const ourEcho = parsed.ok && parsed.message.event === 'mark' && this.playback.isOurMark(parsed.message.mark.name);
    if (!ourEcho && !this.floodGuard.allow()) return this.reject('message flood');
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
    this.end(this.ending ?? 'caller-hung-up');
  }

  /** Ends the call now: the model socket closes at once, so a dead call never keeps billing. */
  end(reason: EndReason, detail?: string): void {
    if (this.ended) return;
    this.ended = true;
    this.limits.stop();
    this.timers.forEach(clearTimeout);
    this.timers.clear();
    const durationMs = this.startedAt ? Math.round(performance.now() - this.startedAt) : 0;
    if (this.streamSid) this.log.info('call ended', { reason, ...(detail ? { detail } : {}), durationMs });
    this.model.close();
    if (this.twilio.readyState === OPEN) this.twilio.close(1000, 'call ended');
    this.conversation.settleAll((itemId) => this.playback.heardMs(itemId));
    // Agent audio still queued at Twilio when the call ends was never heard.
    this.recorder?.agentCleared(this.sinceStartMs());
    this.recorder?.finish(reason);
    this.deps.onEnded?.(this);
  }

  // ───────────────────────────── Twilio side ─────────────────────────────

  private reject(reason: string, closeCode = 1008): void {
    this.log.warn('closing media stream: bad message from Twilio', { reason });
    this.recorder?.event({ type: 'error', summary: `bad message from Twilio: ${reason}` });
    if (this.twilio.readyState === OPEN) this.twilio.close(closeCode, closeReason(reason));
    this.end('protocol-error', reason);
  }

  private start(message: TwilioStart): void {
    const admission = this.deps.admit(message);
    if (!admission.ok) return this.reject(`stream refused: ${admission.reason}`);
    this.streamSid = message.streamSid;
    this.callSid = message.start.callSid;
    this.startedAt = performance.now();
    this.lastMediaAt = this.startedAt;
    this.log = this.deps.log.child({ callSid: this.callSid, streamSid: this.streamSid });
    const { from, to } = message.start.customParameters;
    this.log.info('call started', { audioMode: this.deps.config.audioMode });
    this.log.log(personalLevel(this.deps.config.log), 'call started between', { from, to });
    this.recorder = this.deps.record?.(message, admission.reachedAt);
    this.deps.onAdmitted?.(this);
    this.limits.start();
    this.every(250, () => this.fillStalledInput());
    this.model.connect();
    const { firstWordsTimeoutMs } = this.deps.config.limits;
    this.after(firstWordsTimeoutMs, () => {
      if (!this.modelWasReady) this.apologizeAndEnd(`no model session was ready within ${firstWordsTimeoutMs} ms`);
    });
  }

  private handleStreamEvent(message: Exclude<TwilioMessage, { event: 'connected' | 'start' }>): void {
    switch (message.event) {
      case 'media':
        return this.onCallerAudio(Buffer.from(message.media.payload, 'base64'), Number(message.media.timestamp));
      case 'mark':
        return this.onMarkPlayed(message.mark.name);
      case 'dtmf':
        this.log.info('caller pressed a key', { digit: message.dtmf.digit });
        this.recorder?.event({ type: 'dtmf', summary: `caller pressed ${message.dtmf.digit}` });
        return;
      case 'stop':
        return this.end(this.ending ?? 'caller-hung-up');
    }
  }

  private onCallerAudio(mulaw: Buffer, timestampMs: number): void {
    this.lastMediaAt = performance.now();
    const gapMs = this.gaps.gapBefore(timestampMs, mulaw.length / MULAW_BYTES_PER_MS);
    if (gapMs > 0) {
      this.log.debug('filling a gap in caller audio', { gapMs });
      this.forwardCallerAudio(mulawSilence(gapMs));
    }
    this.recorder?.callerAudio(mulaw, timestampMs);
    this.forwardCallerAudio(mulaw);
  }

  /** Twilio went quiet while the caller was mid-sentence: silence lets server VAD close the turn. */
  private fillStalledInput(): void {
    if (!this.callerSpeaking || performance.now() - this.lastMediaAt < MEDIA_STALL_MS) return;
    this.log.debug('no caller audio while speaking: sending silence', { ms: STALL_FILL_MS });
    this.forwardCallerAudio(mulawSilence(STALL_FILL_MS));
    this.gaps.filled(STALL_FILL_MS);
    this.lastMediaAt = performance.now();
  }

  private onMarkPlayed(name: string): void {
    const itemId = this.playback.acknowledged(name);
    if (!itemId) return;
    if (itemId === APOLOGY_ITEM) {
      if (this.playback.isPlayedOut(APOLOGY_ITEM)) this.end(this.ending ?? 'model-error');
      return;
    }
    this.limits.agentActivity();
    this.settleIfPlayedOut(itemId);
    this.finishGoodbyeIfPlayed();
  }

  private sendToTwilio(message: string): void {
    if (this.twilio.readyState === OPEN) this.twilio.send(message);
  }

  // ───────────────────────────── model side ─────────────────────────────

  /** The model is gone. Open a new session and pick the conversation up again, or apologise and hang up. */
  private modelLost(why: string, retryable: boolean): void {
    this.activeResponseId = undefined;
    this.speech.sessionLost();
    if (this.ended) return;
    const reconnectsUsed = this.model.sessions - 1;
    if (!retryable || reconnectsUsed >= MAX_RECONNECTS || this.ending) {
      this.log.error('model unavailable: ending the call', { why, modelSessions: this.model.sessions });
      return this.apologizeAndEnd(why);
    }
    const delay = RECONNECT_DELAYS_MS[Math.min(reconnectsUsed, RECONNECT_DELAYS_MS.length - 1)];
    this.log.warn('model connection lost: reconnecting', { why, attempt: reconnectsUsed + 1, delayMs: delay });
    this.recorder?.event({ type: 'reconnect', summary: `${why}; reconnecting (attempt ${reconnectsUsed + 1})` });
    this.after(delay, () => {
      if (!this.ending) this.model.connect();
    });
  }

  private onModelError(message: string, code: string | undefined, cause: string | undefined): void {
    this.log.warn('model error', { code, message, cause });
    this.recorder?.event({ type: 'error', summary: `model error: ${message}`, detail: { code } });
    if (code === BUSY_CODE) this.speech.refusedAsBusy();
  }

  private handleModelEvent(event: RealtimeServerEvent): void {
    if (this.ended) return;
    switch (event.type) {
      case 'response.created':
        this.activeResponseId = event.response.id;
        if (event.response.id) this.speech.responseStarted(event.response.id);
        return;
      case 'response.output_audio.delta':
        return this.onAgentAudio(event.response_id, event.item_id, event.delta);
      case 'response.output_audio_transcript.delta':
        return this.conversation.agentTextDelta(event.item_id, event.delta);
      case 'response.output_audio_transcript.done':
        this.conversation.agentText(event.item_id, event.transcript);
        return this.settleIfPlayedOut(event.item_id);
      case 'response.done':
        return this.onResponseDone(event.response);
      case 'input_audio_buffer.speech_started':
        this.callerSpeaking = true;
        this.limits.callerStartedSpeaking();
        this.speech.callerStartedSpeaking();
        this.conversation.callerStartedSpeaking(event.item_id, Date.now());
        return this.onCallerStartedSpeaking();
      case 'input_audio_buffer.speech_stopped':
        this.callerSpeaking = false;
        this.callerStoppedAt = performance.now();
        this.limits.callerStoppedSpeaking();
        this.speech.callerStoppedSpeaking();
        return;
      case 'conversation.item.input_audio_transcription.completed':
        this.log.log(personalLevel(this.deps.config.log), 'caller said', { text: event.transcript });
        this.conversation.callerSaid(event.item_id, event.transcript, Date.now());
        this.recorder?.transcriptionUsage(event.usage);
        return;
    }
  }

  /**
   * A model session is ready: greet the caller, or pick the conversation up again after a reconnect.
   *
   * Caller audio that waited for the first session is dropped when there is a greeting: it can only be a
   * "hello?" into the silence, which the greeting answers, and sent after the greeting was asked for it would
   * count as the caller talking over it and cancel it. (The recording keeps it.) After a reconnect the audio
   * that waited is the caller's side of the conversation and is sent.
   */
  private onModelReady(sessions: number): void {
    this.modelWasReady = true;
    if (sessions > 1) this.reseed();
    const history = this.conversation.history;
    const { greeting } = this.deps.config.persona;
    if (history.length > 0) {
      this.say({ instructions: 'The line dropped for a moment. Say sorry in a few words and carry on where you left off.', obsoleteWhenCallerSpeaks: true });
    } else if (greeting) {
      const droppedMs = this.model.discardPendingAudio();
      if (droppedMs > 0) this.log.debug('caller audio from before the greeting is not sent to the model', { ms: droppedMs });
      this.say({ instructions: greetingInstructions(greeting) });
    }
    this.speech.resume();
  }

  /** A new model session after a failure starts with the conversation as the caller heard it so far. */
  private reseed(): void {
    this.conversation.settleAll((itemId) => this.playback.heardMs(itemId));
    // Audio still playing came from the old session, whose items the new one cannot truncate: it stops here.
    this.playback.stopAll();
    const history = this.conversation.history;
    for (const item of reseedItems(history)) this.model.send(item);
    this.log.info('model session resumed', { turns: history.length, modelSessions: this.model.sessions });
  }

  /** An agent item whose audio is complete and fully played is settled: heard in full. */
  private settleIfPlayedOut(itemId: string): void {
    if (this.playback.isPlayedOut(itemId)) this.conversation.agentSettled(itemId, this.playback.heardMs(itemId), false);
  }

  private onAgentAudio(responseId: string, itemId: string, delta: string): void {
    const mulaw = this.audio.toCaller(delta);
    const ms = mulaw.length / MULAW_BYTES_PER_MS;
    const now = performance.now();
    const latencyMs = this.callerStoppedAt === undefined ? undefined : Math.round(now - this.callerStoppedAt);
    this.conversation.agentAudio(itemId, ms, Date.now(), latencyMs);
    if (this.playback.isDropped(responseId)) {
      // None of this item reached the caller: the model must not remember saying it.
      if (this.playback.discard(responseId, itemId)) this.truncate(itemId, 0);
      return;
    }
    if (mulaw.length === 0) return;
    if (!this.firstAudioSeen) {
      this.firstAudioSeen = true;
      const sinceStartMs = Math.round(now - this.startedAt);
      this.log.info('first agent audio', { sinceStartMs });
      this.recorder?.firstAudio(sinceStartMs);
    }
    if (latencyMs !== undefined) {
      this.log.debug('agent responded', { latencyMs });
      this.recorder?.turnLatency(latencyMs);
    }
    this.callerStoppedAt = undefined;
    this.playback.play(responseId, itemId, mulaw);
  }

  private truncate(itemId: string, audioEndMs: number): void {
    this.model.send({ type: 'conversation.item.truncate', item_id: itemId, content_index: 0, audio_end_ms: audioEndMs });
    this.conversation.agentSettled(itemId, audioEndMs, true);
  }

  private onResponseDone(response: Extract<RealtimeServerEvent, { type: 'response.done' }>['response']): void {
    if (this.activeResponseId === response.id) this.activeResponseId = undefined;
    if (response.id) this.playback.responseDone(response.id);
    this.recorder?.responseUsage(response.usage);
    this.log.debug('response done', { status: response.status, usage: response.usage });
    const said = response.id ? this.speech.responseDone(response.id, response.status === 'cancelled') : undefined;
    if (response.status === 'failed') return this.onResponseFailed(response.status_details);
    this.failedResponsesInARow = 0;
    if (said?.goodbye) {
      this.goodbyeSpoken = true;
      this.finishGoodbyeIfPlayed();
    }
  }

  /** A response failed (e.g. rate limited): try once more, then give up on the model. */
  private onResponseFailed(details: unknown): void {
    this.failedResponsesInARow++;
    this.log.warn('model response failed', { details, inARow: this.failedResponsesInARow });
    this.recorder?.event({ type: 'error', summary: 'model response failed', detail: { details } });
    if (this.failedResponsesInARow >= 2) return this.apologizeAndEnd('model responses keep failing');
    this.after(1000, () => this.model.send({ type: 'response.create' }));
  }

  /**
   * The caller started talking. A response still generating is theirs to interrupt, whether or not any of
   * it plays yet: its audio is dropped from now on (the server cancels it, as the session sets
   * interrupt_response). If agent audio is waiting or playing, this is a barge-in: clear Twilio first
   * (latency matters more than bookkeeping), then truncate each cut item at what the caller heard so the
   * model remembers only that. With nothing playing this is an ordinary turn.
   */
  private onCallerStartedSpeaking(): void {
    if (this.activeResponseId) this.playback.drop(this.activeResponseId);
    if (!this.playback.isPlaying) return;
    const truncations = this.playback.interrupt();
    this.audio.resetOutput();
    for (const t of truncations) this.truncate(t.itemId, t.audioEndMs);
    const cut = truncations.map((t) => ({ itemId: t.itemId, heardMs: t.audioEndMs, sentMs: Math.round(t.sentMs) }));
    this.log.info('barge-in', { truncations: cut });
    this.recorder?.bargeIn(cut);
  }

  // ───────────────────────────── ending ─────────────────────────────

  /** Asks the model to say something, in turn: never over the caller or another response. */
  private say(speech: Speech): void {
    if (!this.ended) this.speech.say(speech);
  }

  /** The model says goodbye; the call ends once that has played (or after a timeout). */
  private endWithGoodbye(reason: EndReason, instructions: string): void {
    if (this.ending || this.ended) return;
    if (!this.model.ready) return this.end(reason);
    this.ending = reason;
    this.limits.stop();
    this.log.info('ending the call', { reason });
    this.speech.clear();
    this.say({ instructions, goodbye: true });
    this.after(GOODBYE_TIMEOUT_MS, () => this.end(reason, 'goodbye did not finish in time'));
  }

  private finishGoodbyeIfPlayed(): void {
    if (this.ending && this.goodbyeSpoken && !this.playback.isPlaying) this.end(this.ending);
  }

  /** The model cannot be reached: play the shipped apology and hang up once it has played. */
  private apologizeAndEnd(why: string): void {
    this.ending = 'model-error';
    this.limits.stop();
    this.model.close();
    this.recorder?.event({ type: 'error', summary: `model unavailable: ${why}` });
    if (this.twilio.readyState !== OPEN || !this.streamSid) return this.end('model-error', why);
    this.conversation.settleAll((itemId) => this.playback.heardMs(itemId));
    this.playback.stopAll();
    const apology = this.deps.apologyAudio;
    this.playback.play(APOLOGY_ITEM, APOLOGY_ITEM, apology);
    this.after(apology.length / MULAW_BYTES_PER_MS + 3000, () => this.end('model-error', why));
  }

  // ───────────────────────────── plumbing ─────────────────────────────

  private forwardCallerAudio(mulaw: Buffer): void {
    this.model.appendAudio(this.audio.toModel(mulaw), mulaw.length / MULAW_BYTES_PER_MS);
  }

  /** A bug in handling one message must end this call, never the process and the other calls with it. */
  private guarded(what: string, handle: () => void): void {
    try {
      handle();
    } catch (err) {
      this.log.error(`failed to handle ${what}`, { error: (err as Error).message, stack: (err as Error).stack });
      this.end('error', (err as Error).message);
    }
  }

  private sinceStartMs(): number {
    return performance.now() - this.startedAt;
  }

  private after(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.ended) fn();
    }, ms);
    this.timers.add(timer);
  }

  private every(ms: number, fn: () => void): void {
    const timer = setInterval(() => (this.ended ? clearInterval(timer) : fn()), ms);
    this.timers.add(timer);
  }
}

function byteLength(frame: unknown): number {
  if (typeof frame === 'string') return Buffer.byteLength(frame);
  return Buffer.isBuffer(frame) ? frame.length : 0;
}

/** A websocket close reason is at most 123 bytes of UTF-8. */
function closeReason(reason: string): string {
  return Buffer.from(reason.replace(/[^\x20-\x7e]/g, '?')).subarray(0, 120).toString();
}
