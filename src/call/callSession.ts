import { performance } from 'node:perf_hooks';
import { mulawLevelDbfs, mulawSilence, NoiseFloor, SpeechOnsetDetector } from '../audio';
import type { Config, Persona } from '../config';
import { personalLevel, type Logger } from '../log';
import {
  greetingInstructions,
  type Conversation,
  type ConversationEvents,
  type ResponseOutcome,
  type SeedTurn,
  type ToolCall,
  type TranscriptionUsage,
} from '../realtime';
import type { Line, LineEvents, LineStart } from '../telephony';
import type { ToolOutcome, ToolRegistry, TransferTarget } from '../tools';
import { InputGapFiller } from './inputGaps';
import { CallLimits } from './limits';
import { Playback } from './playback';
import type { CallRecorder } from './recorder';
import { SilenceBatcher } from './silenceBatches';
import { SpeechQueue, type Speech } from './speechQueue';
import { Transcript } from './transcript';
import type { EndReason } from './types';

export interface CallSessionDeps {
  config: Pick<Config, 'persona' | 'limits' | 'log' | 'localBargeIn' | 'silenceBatchMs'>;
  log: Logger;
  /** This call's conversation with the model, as `persona`, reporting to `events` (it may be connecting already). */
  openConversation: (events: ConversationEvents, persona: Persona, start: LineStart) => Conversation;
  /** The persona of this call (a call we placed may bring its own); the configured one by default. */
  personaFor?: (start: LineStart) => Persona;
  /** Starts the call's record; none in tests that do not care. */
  record?: (start: LineStart) => CallRecorder;
  /** μ-law 8 kHz audio played when the model cannot be reached: it must work without the model. */
  apologyAudio: Buffer;
  /** The tools offered to the model; none: the model is offered none. */
  tools?: ToolRegistry;
  /** The line admitted the stream: from now on it is an active call. */
  onStarted?: (session: CallSession) => void;
  onEnded?: (session: CallSession) => void;
}

const MULAW_BYTES_PER_MS = 8;
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
/**
 * A barge-in heard locally stops the agent at once; the model's turn detection must confirm it within this
 * long (its VAD window plus a round trip), or the agent goes on where it stopped.
 */
const LOCAL_BARGE_IN_CONFIRM_MS = 1000;
/** Keys pressed within this long of each other are one entry (a PIN, an extension); `#` ends one at once. */
const KEYPAD_PAUSE_MS = 1500;
/** Tool outputs kept in a call record event, at most. */
const RECORDED_OUTPUT_CHARS = 2000;

/** Endings the agent chose (with a tool) and the caller can undo by talking over the goodbye. */
const AGENT_ENDINGS: ReadonlySet<EndReason> = new Set(['agent-ended', 'transferred']);

type ToolExchange = Extract<SeedTurn, { role: 'tool' }> & { at: number };

/**
 * One phone call: the policy between a caller on a line and a conversation with the model. It decides what
 * the caller hears and when: barge-in, what the agent says on its own, limits, goodbye, reconnects. It knows
 * neither Twilio's wire format nor the model's protocol, only the two seams. Owns all of the call's state;
 * everything it does goes through its own logger and recorder.
 */
export class CallSession implements LineEvents {
  private log: Logger;
  private start: LineStart | undefined;
  private recorder: CallRecorder | undefined;
  private readonly playback: Playback;
  private readonly transcript = new Transcript((turn) => {
    this.recorder?.turn(turn);
    if (turn.role === 'agent') this.log.log(this.personal, 'agent said', { text: turn.text, interrupted: turn.interrupted });
  });
  private readonly speech = new SpeechQueue((instructions) => this.model.respond(instructions));
  private readonly gaps = new InputGapFiller();
  private readonly silence: SilenceBatcher;
  /** The caller's line noise, which both the silence batches and the local barge-in detector measure against. */
  private readonly lineFloor = new NoiseFloor();
  private readonly limits: CallLimits;
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Opened when the line has admitted the stream. */
  private model!: Conversation;
  private persona: Persona;

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
  private goodbyeTimer: NodeJS.Timeout | undefined;
  /** The agent ended the call in this response: its audio, if any, is the goodbye. */
  private goodbyeResponse: { id: string; fallback: string } | undefined;
  private transferTarget: TransferTarget | undefined;
  private readonly responsesHeard = new Set<string>();
  private readonly toolExchanges: ToolExchange[] = [];
  private readonly callOver = new AbortController();
  /** Set while the agent is paused by a barge-in heard locally that the model has not confirmed yet. */
  private unconfirmedBargeIn: NodeJS.Timeout | undefined;
  private readonly onsets: SpeechOnsetDetector | undefined;
  private keys = '';
  private keysTimer: NodeJS.Timeout | undefined;
  private over = false;

  constructor(
    private readonly line: Line,
    private readonly deps: CallSessionDeps,
  ) {
    this.log = deps.log;
    this.playback = new Playback({
      send: (chunk, mark) => {
        line.play(chunk, mark);
        this.recorder?.agentAudio(chunk, this.sinceStartMs());
      },
      // Every clear (barge-in, reconnect, apology) drops unplayed audio from the recording too.
      clear: () => {
        line.clear();
        this.recorder?.agentCleared(this.sinceStartMs());
      },
      playing: (chunk) => this.onsets?.agentPlayed(mulawLevelDbfs(chunk), performance.now()),
      roundTripMs: () => line.roundTripMs,
    });
    if (deps.config.localBargeIn) this.onsets = new SpeechOnsetDetector();
    this.silence = new SilenceBatcher(deps.config.silenceBatchMs);
    this.persona = deps.config.persona;
    this.limits = new CallLimits(deps.config.limits, {
      nearMaxDuration: () => this.say({ instructions: 'Tell the caller, briefly and politely, that the call will have to end in a moment.' }),
      maxDurationReached: () => this.endWithGoodbye('max-duration', 'The call has reached its time limit. Say a short, friendly goodbye.'),
      idleWarning: () => this.say({ instructions: 'Ask whether the caller is still there.', obsoleteWhenCallerSpeaks: true }),
      idleReached: () => this.endWithGoodbye('idle-timeout', 'The caller has gone quiet. Say a short, friendly goodbye.'),
    });
  }

  get ids(): { callSid?: string; streamSid?: string } {
    return { callSid: this.start?.callSid, streamSid: this.start?.streamSid };
  }

  /** Ends the call now: the model session closes at once, so a dead call never keeps billing. */
  end(reason: EndReason, detail?: string): void {
    if (this.over) return;
    this.over = true;
    this.limits.stop();
    this.timers.forEach(clearTimeout);
    this.timers.clear();
    const durationMs = this.startedAt ? Math.round(performance.now() - this.startedAt) : 0;
    if (this.start) this.log.info('call ended', { reason, ...(detail ? { detail } : {}), durationMs });
    this.callOver.abort();
    if (this.start) this.model.close();
    if (reason === 'transferred' && this.transferTarget) this.line.transfer(this.transferTarget.number);
    else this.line.hangUp();
    this.transcript.settleAll((itemId) => this.playback.heardMs(itemId));
    // Agent audio still queued at the line when the call ends was never heard.
    this.recorder?.agentCleared(this.sinceStartMs());
    this.recorder?.finish(reason);
    this.deps.onEnded?.(this);
  }

  // ───────────────────────────── the line ─────────────────────────────

  started(start: LineStart): void {
    this.guarded('the start of the call', () => {
      this.start = start;
      this.startedAt = performance.now();
      this.lastMediaAt = this.startedAt;
      this.log = this.deps.log.child({ callSid: start.callSid, streamSid: start.streamSid });
      this.log.info('call started', { direction: start.direction });
      this.log.log(this.personal, 'call started between', { from: start.from, to: start.to });
      this.recorder = this.deps.record?.(start);
      this.persona = this.deps.personaFor?.(start) ?? this.deps.config.persona;
      this.model = this.deps.openConversation(this.modelEvents(), this.persona, start);
      this.deps.onStarted?.(this);
      this.limits.start();
      this.every(250, () => this.fillStalledInput());
      // A conversation opened ahead of the call (while the phone rang) is connecting already.
      if (this.model.sessions === 0) this.model.connect();
      const { firstWordsTimeoutMs } = this.deps.config.limits;
      this.after(firstWordsTimeoutMs, () => {
        if (!this.modelWasReady) this.apologizeAndEnd(`no model session was ready within ${firstWordsTimeoutMs} ms`);
      });
    });
  }

  audio(mulaw: Buffer, timestampMs: number): void {
    this.guarded('caller audio', () => {
      this.lastMediaAt = performance.now();
      const ms = mulaw.length / MULAW_BYTES_PER_MS;
      const gapMs = this.gaps.gapBefore(timestampMs, ms);
      if (gapMs > 0) {
        this.log.debug('filling a gap in caller audio', { gapMs });
        this.sendHeldSilence();
        this.model.appendAudio(mulawSilence(gapMs));
      }
      this.recorder?.callerAudio(mulaw, timestampMs);
      const dbfs = mulawLevelDbfs(mulaw);
      const floorDbfs = this.lineFloor.level;
      this.lineFloor.update(dbfs);
      // Silence may wait for the next batch only while no turn of the caller's is open or suspected.
      const toSend = this.silence.frame(mulaw, dbfs, floorDbfs, ms, !this.callerSpeaking && !this.unconfirmedBargeIn);
      if (toSend) this.model.appendAudio(toSend);
      const onset = this.onsets?.callerFrame(dbfs, floorDbfs, ms, performance.now());
      // Nobody confirms a barge-in into the apology: the model is gone.
      if (onset && this.playback.isPlaying && !this.unconfirmedBargeIn && this.ending !== 'model-error') this.pauseForBargeIn();
    });
  }

  /**
   * The caller's own audio says they are talking over the agent, a few hundred ms before the model can: stop
   * the line now. The model's turn detection stays the authority: when it confirms, this becomes an ordinary
   * barge-in (cut where the pause stopped the caller hearing); when it does not, the agent goes on from the
   * first chunk the caller had not started hearing, repeating nothing.
   */
  private pauseForBargeIn(): void {
    this.playback.pause();
    this.log.debug('caller talking over the agent (heard locally): paused');
    this.unconfirmedBargeIn = this.after(LOCAL_BARGE_IN_CONFIRM_MS, () => {
      this.unconfirmedBargeIn = undefined;
      this.log.info('a sound on the line paused the agent, but the model heard no speech: going on');
      this.recorder?.event({ type: 'warning', summary: 'a sound on the line paused the agent; the model heard no speech, so it went on' });
      this.playback.resume();
    });
  }

  markPlayed(name: string): void {
    this.guarded('a played mark', () => {
      const itemId = this.playback.acknowledged(name);
      if (!itemId) return;
      if (itemId === APOLOGY_ITEM) {
        if (this.playback.isPlayedOut(APOLOGY_ITEM)) this.end(this.ending ?? 'model-error');
        return;
      }
      this.limits.agentActivity();
      this.settleIfPlayedOut(itemId);
      this.finishGoodbyeIfPlayed();
    });
  }

  /** Key presses reach the model as text, a whole entry at a time, and it answers them. */
  digit(digit: string): void {
    this.guarded('a key press', () => {
      this.log.info('caller pressed a key', { digit });
      this.recorder?.event({ type: 'dtmf', summary: `caller pressed ${digit}` });
      this.keys += digit;
      clearTimeout(this.keysTimer);
      if (digit === '#') return this.keypadEntry();
      this.keysTimer = this.after(KEYPAD_PAUSE_MS, () => this.keypadEntry());
    });
  }

  private keypadEntry(): void {
    const keys = this.keys;
    this.keys = '';
    if (!keys) return;
    this.model.callerNote(`The caller pressed ${keys} on the phone keypad.`);
    this.say({});
  }

  ended(failure?: string): void {
    if (failure) {
      this.log.warn('the line failed', { reason: failure });
      this.recorder?.event({ type: 'error', summary: `line failed: ${failure}` });
      return this.end('protocol-error', failure);
    }
    this.end(this.ending ?? 'caller-hung-up');
  }

  /** Twilio went quiet while the caller was mid-sentence: silence lets server VAD close the turn. */
  private fillStalledInput(): void {
    if (!this.callerSpeaking || performance.now() - this.lastMediaAt < MEDIA_STALL_MS) return;
    this.log.debug('no caller audio while speaking: sending silence', { ms: STALL_FILL_MS });
    this.sendHeldSilence();
    this.model.appendAudio(mulawSilence(STALL_FILL_MS));
    this.gaps.filled(STALL_FILL_MS);
    this.lastMediaAt = performance.now();
  }

  /** The caller's silence held back for the next batch goes now: before other audio, or when a turn opens. */
  private sendHeldSilence(): void {
    const held = this.silence.flush();
    if (held) this.model.appendAudio(held);
  }

  // ───────────────────────────── the model ─────────────────────────────

  /** The conversation's events, each guarded: a bug handling one ends this call, never the process. */
  private modelEvents(): ConversationEvents {
    const handlers: ConversationEvents = {
      ready: (sessions) => this.onModelReady(sessions),
      lost: (why, retryable) => this.modelLost(why, retryable),
      error: (message, code) => {
        this.log.warn('model error', { code, message });
        this.recorder?.event({ type: 'error', summary: `model error: ${message}`, detail: { code } });
      },
      busy: () => this.speech.refusedAsBusy(),
      responseStarted: (responseId) => {
        this.activeResponseId = responseId;
        this.speech.responseStarted(responseId);
      },
      agentAudio: (responseId, itemId, mulaw) => this.onAgentAudio(responseId, itemId, mulaw),
      agentTextDelta: (itemId, text) => this.transcript.agentTextDelta(itemId, text),
      agentText: (itemId, text) => {
        this.transcript.agentText(itemId, text);
        this.settleIfPlayedOut(itemId);
      },
      responseDone: (outcome) => this.onResponseDone(outcome),
      callerStartedSpeaking: (itemId) => this.onCallerStartedSpeaking(itemId),
      callerStoppedSpeaking: () => {
        this.callerSpeaking = false;
        this.callerStoppedAt = performance.now();
        this.limits.callerStoppedSpeaking();
        this.speech.callerStoppedSpeaking();
      },
      callerSaid: (itemId, text, usage) => this.onCallerSaid(itemId, text, usage),
      toolCall: (call) => void this.onToolCall(call),
    };
    const guardedHandlers = {} as Record<string, (...args: unknown[]) => void>;
    for (const [name, handle] of Object.entries(handlers) as Array<[string, (...args: unknown[]) => void]>) {
      guardedHandlers[name] = (...args) => {
        if (!this.over) this.guarded(`model event ${name}`, () => handle(...args));
      };
    }
    return guardedHandlers as unknown as ConversationEvents;
  }

  /** The model is gone. Open a new session and pick the conversation up again, or apologise and hang up. */
  private modelLost(why: string, retryable: boolean): void {
    this.activeResponseId = undefined;
    this.speech.sessionLost();
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
    const { greeting } = this.persona;
    if (this.transcript.history.length > 0) {
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
    this.transcript.settleAll((itemId) => this.playback.heardMs(itemId));
    // Audio still playing came from the old session, whose items the new one cannot truncate: it stops here.
    this.playback.stopAll();
    const history = this.transcript.history;
    const turns: Array<SeedTurn & { at: number }> = [...history, ...this.toolExchanges].sort((a, b) => a.at - b.at);
    this.model.seed(turns);
    this.log.info('model session resumed', { turns: history.length, toolCalls: this.toolExchanges.length, modelSessions: this.model.sessions });
  }

  /** An agent item whose audio is complete and fully played is settled: heard in full. */
  private settleIfPlayedOut(itemId: string): void {
    if (this.playback.isPlayedOut(itemId)) this.transcript.agentSettled(itemId, this.playback.heardMs(itemId), false);
  }

  private onAgentAudio(responseId: string, itemId: string, mulaw: Buffer): void {
    const ms = mulaw.length / MULAW_BYTES_PER_MS;
    const now = performance.now();
    const latencyMs = this.callerStoppedAt === undefined ? undefined : Math.round(now - this.callerStoppedAt);
    this.transcript.agentAudio(itemId, ms, Date.now(), latencyMs);
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
    this.responsesHeard.add(responseId);
    this.playback.play(responseId, itemId, mulaw);
  }

  private truncate(itemId: string, audioEndMs: number): void {
    this.model.truncate(itemId, audioEndMs);
    this.transcript.agentSettled(itemId, audioEndMs, true);
  }

  private onResponseDone(response: ResponseOutcome): void {
    if (this.activeResponseId === response.id) this.activeResponseId = undefined;
    this.playback.responseDone(response.id);
    this.recorder?.responseUsage(response.usage);
    this.log.debug('response done', { status: response.status, usage: response.usage });
    const said = this.speech.responseDone(response.id, response.status === 'cancelled');
    if (response.status === 'failed') return this.onResponseFailed(response.failure);
    this.failedResponsesInARow = 0;
    if (said?.goodbye) this.goodbyeSaid();
    if (this.goodbyeResponse?.id === response.id) this.goodbyeFrom(this.goodbyeResponse);
  }

  /** A response failed (e.g. rate limited): try once more, then give up on the model. */
  private onResponseFailed(details: unknown): void {
    this.failedResponsesInARow++;
    this.log.warn('model response failed', { details, inARow: this.failedResponsesInARow });
    this.recorder?.event({ type: 'error', summary: 'model response failed', detail: { details } });
    if (this.failedResponsesInARow >= 2) return this.apologizeAndEnd('model responses keep failing');
    this.after(1000, () => this.model.respond());
  }

  private onCallerSaid(itemId: string, text: string, usage: TranscriptionUsage | undefined): void {
    this.log.log(this.personal, 'caller said', { text });
    this.transcript.callerSaid(itemId, text, Date.now());
    this.recorder?.transcriptionUsage(usage);
  }

  /**
   * The caller started talking. A response still generating is theirs to interrupt, whether or not any of
   * it plays yet: its audio is dropped from now on (the model cancels it itself). If agent audio is waiting
   * or playing, this is a barge-in: clear the line first (latency matters more than bookkeeping), then
   * truncate each cut item at what the caller heard so the model remembers only that. With nothing playing
   * this is an ordinary turn.
   */
  private onCallerStartedSpeaking(itemId: string): void {
    clearTimeout(this.unconfirmedBargeIn);
    this.unconfirmedBargeIn = undefined;
    if (this.ending && AGENT_ENDINGS.has(this.ending)) this.stayOnTheLine();
    this.callerSpeaking = true;
    this.sendHeldSilence();
    this.limits.callerStartedSpeaking();
    this.speech.callerStartedSpeaking();
    this.transcript.callerStartedSpeaking(itemId, Date.now());
    if (this.activeResponseId) this.playback.drop(this.activeResponseId);
    // A local pause with nothing left to play has nothing to cut, and must not hold back the next reply.
    if (!this.playback.isPlaying) return this.playback.resume();
    const truncations = this.playback.interrupt();
    this.model.agentAudioCut();
    for (const t of truncations) this.truncate(t.itemId, t.audioEndMs);
    const cut = truncations.map((t) => ({ itemId: t.itemId, heardMs: t.audioEndMs, sentMs: Math.round(t.sentMs) }));
    this.log.info('barge-in', { truncations: cut });
    this.recorder?.bargeIn(cut);
  }

  // ───────────────────────────── tools ─────────────────────────────

  /** Runs a tool without holding up anything else: audio flows while it runs, and it cannot outlive its timeout. */
  private async onToolCall(call: ToolCall): Promise<void> {
    const { tools } = this.deps;
    const start = this.start;
    this.log.info('tool called', { name: call.name, callId: call.callId });
    const outcome: ToolOutcome = tools && start
      ? await tools.run(call.name, call.arguments, { callSid: start.callSid, from: start.from, to: start.to, signal: this.callOver.signal, log: this.log })
      : { kind: 'result', ok: false, output: JSON.stringify({ error: 'No such tool.' }), ms: 0 };
    if (!this.over) this.guarded(`the outcome of ${call.name}`, () => this.onToolOutcome(call, outcome));
  }

  private onToolOutcome(call: ToolCall, outcome: ToolOutcome): void {
    if (outcome.kind === 'result') {
      this.log.info('tool answered', { name: call.name, ok: outcome.ok, ms: outcome.ms });
      this.recordTool(call, `${call.name} ${outcome.ok ? 'answered' : 'failed'} in ${outcome.ms} ms`, { ok: outcome.ok, ms: outcome.ms, output: outcome.output.slice(0, RECORDED_OUTPUT_CHARS) });
      this.giveToolOutput(call, outcome.output);
      return this.say({});
    }
    if (outcome.kind === 'end_call') {
      this.recordTool(call, `the agent hung up${outcome.reason ? `: ${outcome.reason}` : ''}`, { reason: outcome.reason });
      this.giveToolOutput(call, JSON.stringify({ ok: true, note: 'The call ends once the caller has heard your goodbye.' }));
      return this.endByAgent('agent-ended', call.responseId, 'Say a short, friendly goodbye to the caller.');
    }
    const { target } = outcome;
    this.recordTool(call, `the agent transferred the caller to ${target.name} (${target.number})`, { target, reason: outcome.reason });
    this.giveToolOutput(call, JSON.stringify({ ok: true, note: 'The caller is transferred once they have heard you say so.' }));
    this.transferTarget = target;
    this.endByAgent('transferred', call.responseId, 'Tell the caller in one short sentence that you are putting them through to a colleague now.');
  }

  private giveToolOutput(call: ToolCall, output: string): void {
    this.model.toolResult(call.callId, output);
    this.toolExchanges.push({ role: 'tool', at: Date.now(), callId: call.callId, name: call.name, arguments: call.arguments, output });
  }

  private recordTool(call: ToolCall, summary: string, detail: Record<string, unknown>): void {
    this.recorder?.event({ type: 'tool-call', summary, detail: { name: call.name, arguments: call.arguments, ...detail } });
  }

  /**
   * The agent hangs up or transfers. What it said in the response that called the tool is the goodbye (or the
   * announcement); if it said nothing, it is asked to. The line closes once that has been heard.
   */
  private endByAgent(reason: EndReason, responseId: string, fallback: string): void {
    if (this.ending) return;
    this.ending = reason;
    this.log.info('ending the call', { reason });
    this.goodbyeTimer = this.after(GOODBYE_TIMEOUT_MS, () => this.end(reason, 'goodbye did not finish in time'));
    const goodbye = { id: responseId, fallback };
    if (this.activeResponseId === responseId) this.goodbyeResponse = goodbye;
    else this.goodbyeFrom(goodbye);
  }

  private goodbyeFrom(goodbye: { id: string; fallback: string }): void {
    this.goodbyeResponse = undefined;
    if (this.responsesHeard.has(goodbye.id)) this.goodbyeSaid();
    else this.say({ instructions: goodbye.fallback, goodbye: true });
  }

  /** The caller talked over the goodbye: the agent does not hang up on them, and the conversation goes on. */
  private stayOnTheLine(): void {
    this.log.info('the caller spoke over the goodbye: staying on the line', { reason: this.ending });
    this.recorder?.event({ type: 'note', summary: `the caller spoke before the call ended (${this.ending}): the call goes on` });
    this.ending = undefined;
    this.goodbyeSpoken = false;
    this.goodbyeResponse = undefined;
    this.transferTarget = undefined;
    clearTimeout(this.goodbyeTimer);
    this.speech.forgetGoodbyes();
  }

  // ───────────────────────────── ending ─────────────────────────────

  /**
   * An answering machine took the call (known once its greeting has ended). Leave `message`, spoken by the
   * agent, and hang up once it has played; with no message, hang up at once.
   */
  answeredByMachine(message: string | undefined): void {
    this.guarded('an answering machine', () => {
      if (this.over || !this.start) return;
      this.log.info('an answering machine answered', { leavingMessage: message !== undefined });
      this.recorder?.event({ type: 'note', summary: message ? 'an answering machine answered: leaving a message' : 'an answering machine answered: hanging up' });
      if (!message) return this.end('answering-machine');
      this.ending = 'answering-machine';
      this.limits.stop();
      this.playback.stopAll();
      this.speech.clear();
      this.say({ instructions: `You reached an answering machine and the beep has sounded. Leave this message, and nothing else: "${message}"`, goodbye: true });
      this.goodbyeTimer = this.after(GOODBYE_TIMEOUT_MS, () => this.end('answering-machine', 'message did not finish in time'));
    });
  }

  /** Asks the model to say something, in turn: never over the caller or another response. */
  private say(speech: Speech): void {
    if (!this.over) this.speech.say(speech);
  }

  /** The model says goodbye; the call ends once that has played (or after a timeout). */
  private endWithGoodbye(reason: EndReason, instructions: string): void {
    if (this.ending || this.over) return;
    if (!this.model.ready) return this.end(reason);
    this.ending = reason;
    this.limits.stop();
    this.log.info('ending the call', { reason });
    this.speech.clear();
    this.say({ instructions, goodbye: true });
    this.goodbyeTimer = this.after(GOODBYE_TIMEOUT_MS, () => this.end(reason, 'goodbye did not finish in time'));
  }

  private goodbyeSaid(): void {
    this.goodbyeSpoken = true;
    this.finishGoodbyeIfPlayed();
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
    if (!this.start) return this.end('model-error', why);
    this.transcript.settleAll((itemId) => this.playback.heardMs(itemId));
    this.playback.stopAll();
    const apology = this.deps.apologyAudio;
    this.playback.play(APOLOGY_ITEM, APOLOGY_ITEM, apology);
    this.after(apology.length / MULAW_BYTES_PER_MS + 3000, () => this.end('model-error', why));
  }

  // ───────────────────────────── plumbing ─────────────────────────────

  /** Personal data (what people say, phone numbers) is logged at info only when the operator asks for it. */
  private get personal(): string {
    return personalLevel(this.deps.config.log);
  }

  /** A bug in handling one event must end this call, never the process and the other calls with it. */
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

  private after(ms: number, fn: () => void): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.over) fn();
    }, ms);
    this.timers.add(timer);
    return timer;
  }

  private every(ms: number, fn: () => void): void {
    const timer = setInterval(() => (this.over ? clearInterval(timer) : fn()), ms);
    this.timers.add(timer);
  }
}
