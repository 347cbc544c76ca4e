import { pcm16ToMulaw } from '../../src/audio';
import { CallSession, type CallRecorder } from '../../src/call';
import { loadConfig, type Config, type Persona } from '../../src/config';
import { createLogger } from '../../src/log';
import type { Conversation, ConversationEvents, SeedTurn } from '../../src/realtime';
import type { Line, LineStart } from '../../src/telephony';
import type { ToolRegistry } from '../../src/tools';

/**
 * Tiny in-memory fakes of the call's two seams, to drive its policy with fake timers: a line that keeps
 * what it was asked to play, and a conversation that keeps what it was asked and lets the test speak for the
 * model. No sockets, no wire formats, no audio clock.
 */

const MULAW_BYTES_PER_MS = 8;

export class FakeLine implements Line {
  /** Chunks handed over and not yet played, in order: their ms and mark. */
  readonly queued: Array<{ ms: number; mark: string }> = [];
  playedMs = 0;
  sentMs = 0;
  clears = 0;
  hungUp = false;
  private session!: CallSession;

  attach(session: CallSession): void {
    this.session = session;
  }

  play(chunk: Buffer, mark: string): void {
    const ms = chunk.length / MULAW_BYTES_PER_MS;
    this.sentMs += ms;
    this.queued.push({ ms, mark });
  }

  clear(): void {
    this.clears++;
    // Like Twilio: every mark still queued is echoed at once, none of its audio played.
    for (const { mark } of this.queued.splice(0)) this.session.markPlayed(mark);
  }

  hangUp(): void {
    this.hungUp = true;
  }

  transferredTo: string | undefined;
  transfer(number: string): void {
    this.transferredTo = number;
  }

  /** The line's side of things: the caller's phone plays `n` chunks (all by default). */
  playChunks(n = Infinity): void {
    for (let i = 0; i < n && this.queued.length > 0; i++) {
      const { ms, mark } = this.queued.shift()!;
      this.playedMs += ms;
      this.session.markPlayed(mark);
    }
  }

  /** Agent audio queued at the line, ms. */
  get bufferedMs(): number {
    return this.queued.reduce((sum, q) => sum + q.ms, 0);
  }

  start(overrides: Partial<LineStart> = {}): void {
    this.session.started({ callSid: 'CA123', streamSid: 'MZ123', from: '+15550001111', to: '+15550002222', direction: 'inbound', reachedAt: Date.now(), ...overrides });
  }

  /** `ms` of caller silence at stream time `atMs`. */
  say(ms: number, atMs: number): void {
    this.session.audio(Buffer.alloc(ms * MULAW_BYTES_PER_MS, 0xff), atMs);
  }

  /** `ms` of the caller's voice (a tone at `dbfs`), one 20 ms frame at a time from stream time `atMs`. */
  talk(ms: number, atMs: number, dbfs = -20, advance: (ms: number) => void = () => {}): void {
    const amplitude = 10 ** (dbfs / 20) * Math.SQRT2;
    for (let t = 0; t < ms; t += 20) {
      const frame = Int16Array.from({ length: 160 }, (_, i) => Math.round(32767 * amplitude * Math.sin((2 * Math.PI * 300 * i) / 8000)));
      advance(20);
      this.session.audio(Buffer.from(pcm16ToMulaw(frame)), atMs + t);
    }
  }
}

export class FakeConversation implements Conversation {
  ready = false;
  sessions = 0;
  readonly requests: Array<string | undefined> = [];
  readonly truncations: Array<{ itemId: string; audioEndMs: number }> = [];
  readonly toolResults: Array<{ callId: string; output: string }> = [];
  readonly notes: string[] = [];
  readonly seeds: SeedTurn[][] = [];
  /** The length of every append, in ms, in order. */
  readonly appends: number[] = [];
  appendedMs = 0;
  pendingMs = 0;
  closed = 0;
  cuts = 0;

  constructor(readonly on: ConversationEvents) {}

  connect(): void {
    this.sessions++;
    this.ready = false;
  }

  appendAudio(mulaw: Buffer): void {
    const ms = mulaw.length / MULAW_BYTES_PER_MS;
    this.appends.push(ms);
    if (this.ready) this.appendedMs += ms;
    else this.pendingMs += ms;
  }

  discardPendingAudio(): number {
    const ms = this.pendingMs;
    this.pendingMs = 0;
    return ms;
  }

  respond(instructions?: string): void {
    this.requests.push(instructions);
  }

  truncate(itemId: string, audioEndMs: number): void {
    this.truncations.push({ itemId, audioEndMs });
  }

  agentAudioCut(): void {
    this.cuts++;
  }

  toolResult(callId: string, output: string): void {
    this.toolResults.push({ callId, output });
  }

  callerNote(text: string): void {
    this.notes.push(text);
  }

  seed(turns: readonly SeedTurn[]): void {
    this.seeds.push([...turns]);
  }

  close(): void {
    this.closed++;
    this.ready = false;
  }

  // ── the model's side ──

  becomeReady(): void {
    this.ready = true;
    this.on.ready(this.sessions);
    this.appendedMs += this.pendingMs;
    this.pendingMs = 0;
  }

  lose(why = 'socket closed', retryable = true): void {
    this.ready = false;
    this.on.lost(why, retryable);
  }

  /** The model calls a tool in response `responseId`. */
  callTool(responseId: string, name: string, args: object = {}, callId = `call_${name}`): void {
    this.on.toolCall({ responseId, callId, name, arguments: JSON.stringify(args) });
  }

  /** A whole response: started, `ms` of audio for one item, its transcript, done. */
  reply(responseId: string, itemId: string, ms: number, text = 'Sure.'): void {
    this.on.responseStarted(responseId);
    this.audio(responseId, itemId, ms);
    this.on.agentText(itemId, text);
    this.on.responseDone({ id: responseId, status: 'completed' });
  }

  audio(responseId: string, itemId: string, ms: number): void {
    this.on.agentAudio(responseId, itemId, Buffer.alloc(ms * MULAW_BYTES_PER_MS, 0x55));
  }
}

export interface FakeCall {
  session: CallSession;
  line: FakeLine;
  /** The call's conversation; `model.on` is the call's side of it. */
  model: FakeConversation;
  ended: string[];
  events: Array<{ type: string; summary: string }>;
  config: Config;
}

/** A call on fake seams. `env` adjusts the configuration as the environment would. */
export function fakeCall(
  env: NodeJS.ProcessEnv = {},
  apologyMs = 400,
  tools?: ToolRegistry,
  personaFor?: (start: LineStart) => Persona,
): FakeCall {
  const config = loadConfig({ OPENAI_API_KEY: 'sk-test', LOG_LEVEL: 'silent', ...env });
  const ended: string[] = [];
  const events: Array<{ type: string; summary: string }> = [];
  const line = new FakeLine();
  let model!: FakeConversation;
  const recorder: CallRecorder = {
    turn: () => {},
    event: (event) => void events.push(event),
    bargeIn: () => {},
    firstAudio: () => {},
    turnLatency: () => {},
    responseUsage: () => {},
    transcriptionUsage: () => {},
    callerAudio: () => {},
    agentAudio: () => {},
    agentCleared: () => {},
    finish: (reason) => void ended.push(reason),
  };
  const session = new CallSession(line, {
    config,
    log: createLogger(config.log),
    openConversation: (on) => (model = new FakeConversation(on)),
    record: () => recorder,
    apologyAudio: Buffer.alloc(apologyMs * MULAW_BYTES_PER_MS, 0x55),
    tools,
    personaFor,
  });
  line.attach(session);
  return {
    session,
    line,
    // The call opens its conversation once the line has started.
    get model() {
      return model;
    },
    ended,
    events,
    config,
  };
}
