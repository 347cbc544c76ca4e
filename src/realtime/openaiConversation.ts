import type { RealtimeClientEvent, RealtimeServerEvent, RealtimeSessionCreateRequest } from 'openai/resources/realtime/realtime';
import type { AudioMode } from '../config';
import { keepAlive } from '../keepAlive';
import { createAudioPath, type AudioPath } from './audioPath';
import type { OpenAIRealtimeWS } from './connect';
import type { Conversation, ConversationEvents, SeedTurn } from './conversation';
import { reseedItems } from './sessionConfig';

export interface OpenAIConversationOptions {
  /** Opens one Realtime websocket (the SDK's client). */
  open: () => OpenAIRealtimeWS;
  /** The session settings, sent as session.update as soon as a session is created. */
  session: () => RealtimeSessionCreateRequest;
  audioMode: AudioMode;
  /** A session not configured this long after connecting is given up on (it stalled or ignored us). */
  readyTimeoutMs: number;
  /** Ping interval; a session that misses a pong is dead. */
  keepAliveMs: number;
}

const OPEN = 1;
const MULAW_BYTES_PER_MS = 8;
/** Caller audio kept while the session is not ready; older audio is dropped beyond this. */
const MAX_PENDING_INPUT_MS = 5000;
/** The error code of a response.create refused because a response is already running. */
const BUSY = 'conversation_already_has_active_response';

/**
 * A conversation with an OpenAI Realtime (GA) model through the official SDK: one websocket at a time,
 * configured as soon as it opens. Event names and error codes of the API live here and nowhere else.
 * Caller audio sent before the session is ready waits (the last few seconds of it), so the caller's first
 * words are not lost while the socket opens or a reconnect is under way.
 */
export class OpenAIConversation implements Conversation {
  private rt: OpenAIRealtimeWS | undefined;
  private isReady = false;
  private connections = 0;
  private pendingInput: Array<{ audio: string; ms: number }> = [];
  private readyTimer: NodeJS.Timeout | undefined;
  private stopKeepAlive = () => {};
  private readonly audio: AudioPath;
  private on: ConversationEvents;
  /** What happened before anyone listened (a session opened ahead of its call): told on `listen`. */
  private readonly early: Array<[keyof ConversationEvents, unknown[]]> = [];

  /** Without `events`, the conversation may be opened ahead of its call and listened to later. */
  constructor(
    private readonly options: OpenAIConversationOptions,
    events?: ConversationEvents,
  ) {
    this.audio = createAudioPath(options.audioMode);
    this.on =
      events ??
      new Proxy({} as ConversationEvents, {
        get: (_target, name) => (...args: unknown[]) => void this.early.push([name as keyof ConversationEvents, args]),
      });
  }

  /** From now on `events` hears everything; what happened before is told to it right after this returns. */
  listen(events: ConversationEvents): void {
    this.on = events;
    const early = this.early.splice(0);
    void Promise.resolve().then(() => {
      for (const [name, args] of early) (events[name] as (...a: unknown[]) => void)(...args);
    });
  }

  get ready(): boolean {
    return this.isReady;
  }

  get sessions(): number {
    return this.connections;
  }

  connect(): void {
    this.connections++;
    this.isReady = false;
    let rt: OpenAIRealtimeWS;
    try {
      rt = this.options.open();
    } catch (err) {
      return this.on.lost(`could not open the model session: ${(err as Error).message}`, false);
    }
    this.rt = rt;
    let refusedStatus: number | undefined;
    let settingsSent = false;
    const { readyTimeoutMs, keepAliveMs } = this.options;
    this.readyTimer = setTimeout(() => this.giveUp(`model session not ready within ${readyTimeoutMs} ms`, true), readyTimeoutMs);
    this.stopKeepAlive = keepAlive(rt.socket, {
      intervalMs: keepAliveMs,
      deadAfterMs: keepAliveMs,
      onDead: () => this.giveUp('model socket stopped answering pings', true),
    });
    // Without an error listener the SDK turns errors into unhandled rejections that kill the process.
    rt.on('error', (err) => {
      if (rt !== this.rt) return;
      refusedStatus ??= Number(/Unexpected server response: (\d{3})/.exec(err.message)?.[1]) || undefined;
      const message = err.error?.message ?? err.message;
      const code = err.error?.code ?? undefined;
      this.on.error(causeOf(err) ? `${message} (${causeOf(err)})` : message, code);
      if (code === BUSY) return this.on.busy();
      // Nothing but the session settings is outstanding before the session is ready: this error answers
      // them, and the same settings would be refused again.
      if (err.error && settingsSent && !this.isReady) this.giveUp(`model refused the session settings: ${message}`, false);
    });
    rt.socket.on('close', (code, reason) => {
      if (rt !== this.rt) return;
      this.forget();
      const why = refusedStatus ? `model refused the connection (HTTP ${refusedStatus})` : `model socket closed (${code} ${reason.toString()})`;
      // A bad key or missing access will not fix itself on a retry.
      this.on.lost(why, refusedStatus !== 401 && refusedStatus !== 403);
    });
    rt.on('event', (event) => {
      if (rt !== this.rt) return;
      if (event.type === 'session.created') {
        settingsSent = true;
        this.send({ type: 'session.update', session: this.options.session() });
      }
      if (event.type === 'session.updated' && !this.isReady) return this.becomeReady();
      this.translate(event);
    });
  }

  appendAudio(mulaw: Buffer): void {
    const audio = this.audio.toModel(mulaw);
    if (this.isReady) return this.sendAppend(audio);
    this.pendingInput.push({ audio, ms: mulaw.length / MULAW_BYTES_PER_MS });
    let keptMs = this.pendingInput.reduce((sum, chunk) => sum + chunk.ms, 0);
    while (keptMs > MAX_PENDING_INPUT_MS) keptMs -= this.pendingInput.shift()!.ms;
  }

  discardPendingAudio(): number {
    const ms = this.pendingInput.reduce((sum, chunk) => sum + chunk.ms, 0);
    this.pendingInput = [];
    return ms;
  }

  respond(instructions?: string): void {
    if (!instructions) return this.send({ type: 'response.create' });
    // A response's instructions replace the session's for that response: the persona stays in them.
    const persona = this.options.session().instructions;
    this.send({ type: 'response.create', response: { instructions: persona ? `${persona}\n\n${instructions}` : instructions } });
  }

  truncate(itemId: string, audioEndMs: number): void {
    this.send({ type: 'conversation.item.truncate', item_id: itemId, content_index: 0, audio_end_ms: audioEndMs });
  }

  agentAudioCut(): void {
    this.audio.resetOutput();
  }

  toolResult(callId: string, output: string): void {
    this.send({ type: 'conversation.item.create', item: { type: 'function_call_output', call_id: callId, output } });
  }

  callerNote(text: string): void {
    this.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text }] } });
  }

  seed(turns: readonly SeedTurn[]): void {
    for (const item of reseedItems(turns)) this.send(item);
  }

  close(): void {
    const rt = this.rt;
    this.forget();
    if (!rt) return;
    // terminate() works in every state; close() on a socket still connecting throws.
    if (rt.socket.readyState === OPEN) rt.close({ code: 1000, reason: 'call ended' });
    else rt.socket.terminate();
  }

  private send(event: RealtimeClientEvent): void {
    if (this.rt?.socket.readyState === OPEN) this.rt.send(event);
  }

  /**
   * `input_audio_buffer.append`, 50 a second, written out by hand: base64 needs no JSON escaping, and
   * JSON.stringify scanning the ~1.3 KB string of a pcm16 frame cost 2.5× this (measured ~4.7 µs against ~1.8 µs).
   */
  private sendAppend(base64: string): void {
    if (this.rt?.socket.readyState === OPEN) this.rt.socket.send(`{"type":"input_audio_buffer.append","audio":"${base64}"}`);
  }

  /** The server's events, as the conversation's. Events the call has no use for are dropped here. */
  private translate(event: RealtimeServerEvent): void {
    switch (event.type) {
      case 'response.created':
        if (event.response.id) this.on.responseStarted(event.response.id);
        return;
      case 'response.output_audio.delta':
        return this.on.agentAudio(event.response_id, event.item_id, this.audio.toCaller(event.delta));
      case 'response.output_audio_transcript.delta':
        return this.on.agentTextDelta(event.item_id, event.delta);
      case 'response.output_audio_transcript.done':
        return this.on.agentText(event.item_id, event.transcript);
      case 'response.function_call_arguments.done':
        return this.on.toolCall({ responseId: event.response_id, callId: event.call_id, name: event.name, arguments: event.arguments });
      case 'response.done': {
        const { id, status, usage, status_details } = event.response;
        return this.on.responseDone({
          id: id ?? '',
          status: status ?? 'completed',
          usage,
          ...(status === 'failed' ? { failure: status_details } : {}),
        });
      }
      case 'input_audio_buffer.speech_started':
        return this.on.callerStartedSpeaking(event.item_id);
      case 'input_audio_buffer.speech_stopped':
        return this.on.callerStoppedSpeaking();
      case 'conversation.item.input_audio_transcription.completed':
        return this.on.callerSaid(event.item_id, event.transcript, event.usage);
    }
  }

  /** This session is of no use (stalled, dead or refusing our settings): close it and report it lost. */
  private giveUp(why: string, retryable: boolean): void {
    if (!this.rt) return;
    this.close();
    this.on.lost(why, retryable);
  }

  private forget(): void {
    clearTimeout(this.readyTimer);
    this.stopKeepAlive();
    this.rt = undefined;
    this.isReady = false;
  }

  private becomeReady(): void {
    this.isReady = true;
    clearTimeout(this.readyTimer);
    // The handler may seed the conversation first; the audio that waited follows it.
    this.on.ready(this.connections);
    for (const { audio } of this.pendingInput) this.sendAppend(audio);
    this.pendingInput = [];
  }
}

function causeOf(err: Error): string | undefined {
  const cause = (err as { cause?: unknown }).cause;
  return cause instanceof Error ? cause.message : undefined;
}
