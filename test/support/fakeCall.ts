import { EventEmitter } from 'node:events';
import type { RealtimeClientEvent, RealtimeServerEvent } from 'openai/resources/realtime/realtime';
import { CallSession } from '../../src/call';
import { loadConfig, type Config } from '../../src/config';
import { createLogger } from '../../src/log';
import type { OpenAIRealtimeWS } from '../../src/realtime';

/**
 * Tiny in-memory stand-ins for one call's two sockets, to drive the call's policy with fake timers: a
 * Twilio socket that keeps what it was sent, and Realtime sockets that keep client events and let the test
 * play the server. No network, no audio clock.
 */

const MULAW_BYTES_PER_MS = 8;

export class FakeModelSocket extends EventEmitter {
  readyState = 1;
  answersPings = true;
  readonly sent: RealtimeClientEvent[] = [];

  ping(): void {
    if (this.answersPings) queueMicrotask(() => this.emit('pong'));
  }

  terminate(): void {
    this.close(1006, '');
  }

  close(code = 1000, reason = ''): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.emit('close', code, Buffer.from(reason));
  }
}

/** What the call sees of `OpenAIRealtimeWS`: `on('event' | 'error')`, `send`, `close` and its socket. */
export class FakeModel extends EventEmitter {
  readonly socket = new FakeModelSocket();
  private seq = 0;

  get sent(): RealtimeClientEvent[] {
    return this.socket.sent;
  }

  send(event: RealtimeClientEvent): void {
    this.socket.sent.push(event);
  }

  close(): void {
    this.socket.close(1000, 'OK');
  }

  /** The server says something. */
  event(event: RealtimeServerEvent): void {
    this.emit('event', event);
  }

  error(code: string, message = code): void {
    const err = Object.assign(new Error(message), { error: { type: 'invalid_request_error', code, message, param: null, event_id: null } });
    this.emit('error', err);
  }

  /** session.created, then session.updated once the call sent its settings. */
  becomeReady(): void {
    this.event({ type: 'session.created', event_id: this.id('event'), session: { type: 'realtime' } } as RealtimeServerEvent);
    this.event({ type: 'session.updated', event_id: this.id('event'), session: { type: 'realtime' } } as RealtimeServerEvent);
  }

  responseCreated(id: string): void {
    this.event({ type: 'response.created', event_id: this.id('event'), response: { id, status: 'in_progress' } } as RealtimeServerEvent);
  }

  /** `ms` of agent audio for `itemId` as one delta (PCM16 24 kHz silence, or μ-law in passthrough). */
  audio(responseId: string, itemId: string, ms: number, passthrough = true): void {
    const bytes = passthrough ? ms * MULAW_BYTES_PER_MS : ms * 48;
    this.event({
      type: 'response.output_audio.delta',
      event_id: this.id('event'),
      response_id: responseId,
      item_id: itemId,
      output_index: 0,
      content_index: 0,
      delta: Buffer.alloc(bytes, passthrough ? 0x55 : 0).toString('base64'),
    });
  }

  transcriptDone(responseId: string, itemId: string, transcript: string): void {
    this.event({
      type: 'response.output_audio_transcript.done',
      event_id: this.id('event'),
      response_id: responseId,
      item_id: itemId,
      output_index: 0,
      content_index: 0,
      transcript,
    });
  }

  responseDone(id: string, status: 'completed' | 'cancelled' = 'completed'): void {
    this.event({ type: 'response.done', event_id: this.id('event'), response: { id, status } } as RealtimeServerEvent);
  }

  speechStarted(itemId = this.id('item')): void {
    this.event({ type: 'input_audio_buffer.speech_started', event_id: this.id('event'), audio_start_ms: 0, item_id: itemId });
  }

  speechStopped(itemId = 'item'): void {
    this.event({ type: 'input_audio_buffer.speech_stopped', event_id: this.id('event'), audio_end_ms: 0, item_id: itemId });
  }

  /** The `response.create` instructions the call sent, in order. */
  requests(): string[] {
    return this.sent.flatMap((e) => (e.type === 'response.create' ? [e.response?.instructions ?? ''] : []));
  }

  truncations(): Array<{ item_id: string; audio_end_ms: number }> {
    return this.sent.flatMap((e) => (e.type === 'conversation.item.truncate' ? [{ item_id: e.item_id, audio_end_ms: e.audio_end_ms }] : []));
  }

  private id(prefix: string): string {
    return `${prefix}_${++this.seq}`;
  }
}

/** The Twilio side: what the call sent, parsed, and a way to echo marks as playback passes them. */
export class FakeTwilio {
  readyState = 1;
  readonly sent: any[] = [];
  closed: { code?: number; reason?: string } | undefined;
  private seq = 1;

  constructor(private readonly session: () => CallSession) {}

  send(data: string): void {
    this.sent.push(JSON.parse(data));
  }

  close(code?: number, reason?: string): void {
    this.closed ??= { code, reason };
    this.readyState = 3;
  }

  frame(message: object): void {
    this.session().handleFrame(JSON.stringify(message));
  }

  start(callSid = 'CA123'): void {
    this.frame({ event: 'connected', protocol: 'Call', version: '1.0.0' });
    this.frame({
      event: 'start',
      sequenceNumber: String(this.seq++),
      streamSid: 'MZ123',
      start: {
        accountSid: 'AC1',
        streamSid: 'MZ123',
        callSid,
        tracks: ['inbound'],
        mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
        customParameters: { token: 't' },
      },
    });
  }

  media(ms: number, timestampMs: number): void {
    const payload = Buffer.alloc(ms * MULAW_BYTES_PER_MS, 0xff).toString('base64');
    this.frame({ event: 'media', sequenceNumber: String(this.seq++), streamSid: 'MZ123', media: { track: 'inbound', chunk: '1', timestamp: String(timestampMs), payload } });
  }

  /** Marks sent and not yet echoed, oldest first. */
  private echoed = 0;
  pendingMarks(): string[] {
    return this.sent.filter((m) => m.event === 'mark').map((m) => m.mark.name).slice(this.echoed);
  }

  /** Plays `n` of the marks sent so far (all by default): Twilio echoes them. */
  playMarks(n = Infinity): void {
    const marks = this.pendingMarks().slice(0, n);
    this.echoed += marks.length;
    for (const name of marks) this.frame({ event: 'mark', sequenceNumber: String(this.seq++), streamSid: 'MZ123', mark: { name } });
  }

  /** A clear: Twilio echoes every outstanding mark at once. */
  echoCleared(): void {
    this.playMarks();
  }

  mediaMs(): number {
    return this.sent.filter((m) => m.event === 'media').reduce((sum, m) => sum + Buffer.from(m.media.payload, 'base64').length / MULAW_BYTES_PER_MS, 0);
  }

  clears(): number {
    return this.sent.filter((m) => m.event === 'clear').length;
  }
}

export interface FakeCall {
  session: CallSession;
  twilio: FakeTwilio;
  /** Every model socket the call opened, in order. */
  models: FakeModel[];
  /** The latest one. */
  model(): FakeModel;
  ended: string[];
  config: Config;
}

/** A call in passthrough mode (so agent audio bytes are μ-law as the tests write them), with its fakes. */
export function fakeCall(env: NodeJS.ProcessEnv = {}, apologyMs = 400): FakeCall {
  const config = loadConfig({ OPENAI_API_KEY: 'sk-test', AUDIO_MODE: 'passthrough', LOG_LEVEL: 'silent', ...env });
  const models: FakeModel[] = [];
  const ended: string[] = [];
  let session!: CallSession;
  const twilio = new FakeTwilio(() => session);
  session = new CallSession(twilio, {
    config,
    log: createLogger(config.log),
    openRealtime: () => {
      const model = new FakeModel();
      models.push(model);
      return model as unknown as OpenAIRealtimeWS;
    },
    admit: () => ({ ok: true, reachedAt: Date.now() }),
    record: () => ({
      turn: () => {},
      event: () => {},
      bargeIn: () => {},
      firstAudio: () => {},
      turnLatency: () => {},
      responseUsage: () => {},
      transcriptionUsage: () => {},
      callerAudio: () => {},
      agentAudio: () => {},
      agentCleared: () => {},
      finish: (reason) => void ended.push(reason),
    }),
    apologyAudio: Buffer.alloc(apologyMs * MULAW_BYTES_PER_MS, 0x55),
  });
  return { session, twilio, models, model: () => models[models.length - 1], ended, config };
}
