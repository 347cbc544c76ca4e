import type { RealtimeClientEvent, RealtimeServerEvent, RealtimeSessionCreateRequest } from 'openai/resources/realtime/realtime';
import { keepAlive } from '../keepAlive';
import type { OpenAIRealtimeWS } from '../realtime';

export interface ModelLinkHandlers {
  /** Every server event of the current session. */
  event(event: RealtimeServerEvent): void;
  /** The session is configured and takes audio; `sessions` counts connections so far (2+ is a reconnect). */
  ready(sessions: number): void;
  /** The session is gone. `retryable` is false when a new attempt cannot help (the key was refused). */
  lost(why: string, retryable: boolean): void;
  /** An error from the server or the socket; the session may well go on. */
  error(message: string, code: string | undefined, cause: string | undefined): void;
}

export interface ModelLinkTiming {
  /** A session not configured this long after connecting is given up on (it stalled or ignored us). */
  readyTimeoutMs: number;
  /** Ping interval; a session that misses a pong is dead. */
  keepAliveMs: number;
}

const OPEN = 1;
/** Caller audio kept while the session is not ready; older audio is dropped beyond this. */
const MAX_PENDING_INPUT_MS = 5000;

/**
 * The call's connection to the model: one Realtime websocket at a time, configured with `session` as soon
 * as it opens. Caller audio sent before the session is ready waits (the last few seconds of it), so the
 * caller's first words are not lost while the socket opens or a reconnect is under way.
 */
export class ModelLink {
  private rt: OpenAIRealtimeWS | undefined;
  private isReady = false;
  private connections = 0;
  private pendingInput: Array<{ audio: string; ms: number }> = [];
  private readyTimer: NodeJS.Timeout | undefined;
  private stopKeepAlive = () => {};

  constructor(
    private readonly open: () => OpenAIRealtimeWS,
    private readonly session: () => RealtimeSessionCreateRequest,
    private readonly on: ModelLinkHandlers,
    private readonly timing: ModelLinkTiming,
  ) {}

  get ready(): boolean {
    return this.isReady;
  }

  /** How many sessions this call has opened. */
  get sessions(): number {
    return this.connections;
  }

  connect(): void {
    this.connections++;
    this.isReady = false;
    let rt: OpenAIRealtimeWS;
    try {
      rt = this.open();
    } catch (err) {
      return this.on.lost(`could not open the model session: ${(err as Error).message}`, false);
    }
    this.rt = rt;
    let refusedStatus: number | undefined;
    let settingsSent = false;
    this.readyTimer = setTimeout(
      () => this.giveUp(`model session not ready within ${this.timing.readyTimeoutMs} ms`, true),
      this.timing.readyTimeoutMs,
    );
    this.stopKeepAlive = keepAlive(rt.socket, this.timing.keepAliveMs, () => this.giveUp('model socket stopped answering pings', true));
    // Without an error listener the SDK turns errors into unhandled rejections that kill the process.
    rt.on('error', (err) => {
      if (rt !== this.rt) return;
      refusedStatus ??= Number(/Unexpected server response: (\d{3})/.exec(err.message)?.[1]) || undefined;
      const message = err.error?.message ?? err.message;
      this.on.error(message, err.error?.code ?? undefined, causeOf(err));
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
        this.send({ type: 'session.update', session: this.session() });
      }
      if (event.type === 'session.updated' && !this.isReady) this.becomeReady();
      this.on.event(event);
    });
  }

  send(event: RealtimeClientEvent): void {
    if (this.rt?.socket.readyState === OPEN) this.rt.send(event);
  }

  /** Caller audio for the input buffer: sent now, or kept until the session is ready. */
  appendAudio(audio: string, ms: number): void {
    if (this.isReady) return this.send({ type: 'input_audio_buffer.append', audio });
    this.pendingInput.push({ audio, ms });
    let keptMs = this.pendingInput.reduce((sum, chunk) => sum + chunk.ms, 0);
    while (keptMs > MAX_PENDING_INPUT_MS) keptMs -= this.pendingInput.shift()!.ms;
  }

  /** Drops the caller audio that waited for the session, e.g. because the greeting answers it; returns its ms. */
  discardPendingAudio(): number {
    const ms = this.pendingInput.reduce((sum, chunk) => sum + chunk.ms, 0);
    this.pendingInput = [];
    return ms;
  }

  /** Closes the session on purpose: no `lost` follows. */
  close(): void {
    const rt = this.rt;
    this.forget();
    if (!rt) return;
    // terminate() works in every state; close() on a socket still connecting throws.
    if (rt.socket.readyState === OPEN) rt.close({ code: 1000, reason: 'call ended' });
    else rt.socket.terminate();
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
    for (const { audio } of this.pendingInput) this.send({ type: 'input_audio_buffer.append', audio });
    this.pendingInput = [];
  }
}

function causeOf(err: Error): string | undefined {
  const cause = (err as { cause?: unknown }).cause;
  return cause instanceof Error ? cause.message : undefined;
}
