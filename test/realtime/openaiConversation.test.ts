import { EventEmitter } from 'node:events';
import type { RealtimeClientEvent, RealtimeServerEvent } from 'openai/resources/realtime/realtime';
import { OpenAIConversation, type ConversationEvents, type OpenAIRealtimeWS } from '../../src/realtime';

/** What the adapter uses of the SDK's `OpenAIRealtimeWS`: its events, `send`, `close` and its socket. */
class FakeSdkSocket extends EventEmitter {
  readyState = 1;
  answersPings = true;
  /** Events written to the socket directly (caller audio), in order with those sent through the SDK. */
  constructor(private readonly sent: RealtimeClientEvent[]) {
    super();
  }
  send(text: string): void {
    this.sent.push(JSON.parse(text) as RealtimeClientEvent);
  }
  ping(): void {
    if (this.answersPings) queueMicrotask(() => this.emit('pong'));
  }
  terminate(): void {
    this.readyState = 3;
    this.emit('close', 1006, Buffer.from(''));
  }
}

class FakeSdk extends EventEmitter {
  readonly sent: RealtimeClientEvent[] = [];
  readonly socket = new FakeSdkSocket(this.sent);
  send(event: RealtimeClientEvent): void {
    this.sent.push(event);
  }
  close(): void {
    this.socket.readyState = 3;
    this.socket.emit('close', 1000, Buffer.from('OK'));
  }
  event(event: Record<string, unknown>): void {
    this.emit('event', event as unknown as RealtimeServerEvent);
  }
  error(code: string, message = code): void {
    this.emit('error', Object.assign(new Error(message), { error: { type: 'invalid_request_error', code, message, param: null, event_id: null } }));
  }
  ready(): void {
    this.event({ type: 'session.created', event_id: 'e1', session: { type: 'realtime' } });
    this.event({ type: 'session.updated', event_id: 'e2', session: { type: 'realtime' } });
  }
}

function conversation(audioMode: 'passthrough' | 'pcm16' = 'passthrough') {
  const sdks: FakeSdk[] = [];
  const seen: unknown[][] = [];
  const events = new Proxy({} as ConversationEvents, {
    get: (_target, name: string) => (...args: unknown[]) => seen.push([name, ...args]),
  });
  const adapter = new OpenAIConversation(
    {
      open: () => {
        const sdk = new FakeSdk();
        sdks.push(sdk);
        return sdk as unknown as OpenAIRealtimeWS;
      },
      session: () => ({ type: 'realtime', instructions: 'You are Ada.' }),
      audioMode,
      readyTimeoutMs: 5000,
      keepAliveMs: 10_000,
    },
    events,
  );
  const names = () => seen.map((e) => e[0]);
  return { adapter, sdks, seen, names, sdk: () => sdks[sdks.length - 1] };
}

describe('OpenAIConversation', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('configures each session as it is created, and holds caller audio until it is ready', () => {
    const { adapter, sdk, seen } = conversation();
    adapter.connect();
    adapter.appendAudio(Buffer.alloc(160, 0xff));
    expect(sdk().sent).toEqual([]);
    sdk().event({ type: 'session.created', event_id: 'e1', session: { type: 'realtime' } });
    expect(sdk().sent).toEqual([{ type: 'session.update', session: { type: 'realtime', instructions: 'You are Ada.' } }]);
    sdk().event({ type: 'session.updated', event_id: 'e2', session: { type: 'realtime' } });
    expect(seen).toEqual([['ready', 1]]);
    expect(sdk().sent[1]).toEqual({ type: 'input_audio_buffer.append', audio: Buffer.alloc(160, 0xff).toString('base64') });
  });

  it('can drop the audio held for a session not ready yet', () => {
    const { adapter, sdk } = conversation();
    adapter.connect();
    adapter.appendAudio(Buffer.alloc(1600));
    expect(adapter.discardPendingAudio()).toBe(200);
    sdk().ready();
    expect(sdk().sent.map((e) => e.type)).toEqual(['session.update']);
  });

  it('speaks the call\'s language: audio, transcripts, tool calls, turns and outcomes, without API event names', () => {
    const { adapter, sdk, seen } = conversation();
    adapter.connect();
    sdk().ready();
    seen.length = 0;
    sdk().event({ type: 'response.created', event_id: 'e', response: { id: 'r1' } });
    sdk().event({ type: 'response.output_audio.delta', event_id: 'e', response_id: 'r1', item_id: 'i1', output_index: 0, content_index: 0, delta: Buffer.from([1, 2]).toString('base64') });
    sdk().event({ type: 'response.output_audio_transcript.done', event_id: 'e', response_id: 'r1', item_id: 'i1', output_index: 0, content_index: 0, transcript: 'Hi.' });
    sdk().event({ type: 'response.function_call_arguments.done', event_id: 'e', response_id: 'r1', item_id: 'f1', output_index: 1, call_id: 'c1', name: 'end_call', arguments: '{}' });
    sdk().event({ type: 'response.done', event_id: 'e', response: { id: 'r1', status: 'completed' } });
    sdk().event({ type: 'input_audio_buffer.speech_started', event_id: 'e', audio_start_ms: 0, item_id: 'u1' });
    sdk().event({ type: 'input_audio_buffer.speech_stopped', event_id: 'e', audio_end_ms: 0, item_id: 'u1' });
    sdk().event({ type: 'conversation.item.input_audio_transcription.completed', event_id: 'e', item_id: 'u1', content_index: 0, transcript: 'Bye.' });
    sdk().event({ type: 'rate_limits.updated', event_id: 'e', rate_limits: [] });
    expect(seen).toEqual([
      ['responseStarted', 'r1'],
      ['agentAudio', 'r1', 'i1', Buffer.from([1, 2])],
      ['agentText', 'i1', 'Hi.'],
      ['toolCall', { responseId: 'r1', callId: 'c1', name: 'end_call', arguments: '{}' }],
      ['responseDone', { id: 'r1', status: 'completed', usage: undefined }],
      ['callerStartedSpeaking', 'u1'],
      ['callerStoppedSpeaking'],
      ['callerSaid', 'u1', 'Bye.', undefined],
    ]);
  });

  it('keeps the persona in the instructions of each response it asks for', () => {
    const { adapter, sdk } = conversation();
    adapter.connect();
    sdk().ready();
    adapter.respond('Ask whether the caller is still there.');
    adapter.respond();
    expect(sdk().sent.slice(-2)).toEqual([
      { type: 'response.create', response: { instructions: 'You are Ada.\n\nAsk whether the caller is still there.' } },
      { type: 'response.create' },
    ]);
  });

  it('reports a refused request as busy, by its error code', () => {
    const { adapter, sdk, names } = conversation();
    adapter.connect();
    sdk().ready();
    sdk().error('conversation_already_has_active_response', 'Conversation already has an active response in progress: resp_1.');
    expect(names()).toEqual(['ready', 'error', 'busy']);
  });

  it('gives up on a session that is not ready in time, so the call can open another', () => {
    const { adapter, sdk, seen } = conversation();
    adapter.connect();
    sdk().event({ type: 'session.created', event_id: 'e1', session: { type: 'realtime' } });
    jest.advanceTimersByTime(5_000);
    expect(seen).toEqual([['lost', 'model session not ready within 5000 ms', true]]);
    expect(sdk().socket.readyState).toBe(3);
  });

  it('treats an error answering its session settings as final', () => {
    const { adapter, sdk, seen } = conversation();
    adapter.connect();
    sdk().event({ type: 'session.created', event_id: 'e1', session: { type: 'realtime' } });
    sdk().error('invalid_value', "Invalid value: 'marine'.");
    expect(seen).toEqual([
      ['error', "Invalid value: 'marine'.", 'invalid_value'],
      ['lost', "model refused the session settings: Invalid value: 'marine'.", false],
    ]);
  });

  it('gives up on a socket that stops answering pings', async () => {
    const { adapter, sdk, seen } = conversation();
    adapter.connect();
    sdk().ready();
    jest.advanceTimersByTime(10_000);
    await Promise.resolve();
    sdk().socket.answersPings = false;
    jest.advanceTimersByTime(20_000);
    expect(seen).toEqual([['ready', 1], ['lost', 'model socket stopped answering pings', true]]);
  });

  it('says a refused key is not worth retrying, and a dropped socket is', () => {
    const refused = conversation();
    refused.adapter.connect();
    refused.sdk().emit('error', new Error('Unexpected server response: 401'));
    refused.sdk().socket.terminate();
    expect(refused.seen.at(-1)).toEqual(['lost', 'model refused the connection (HTTP 401)', false]);
    const dropped = conversation();
    dropped.adapter.connect();
    dropped.sdk().ready();
    dropped.sdk().socket.terminate();
    expect(dropped.seen.at(-1)).toEqual(['lost', 'model socket closed (1006 )', true]);
  });

  it('reports nothing after it was closed on purpose', () => {
    const { adapter, sdk, seen } = conversation();
    adapter.connect();
    sdk().ready();
    adapter.close();
    sdk().event({ type: 'response.created', event_id: 'e', response: { id: 'r1' } });
    expect(seen).toEqual([['ready', 1]]);
  });

  it('can be opened ahead of its call: what happened before anyone listened is told to the listener', async () => {
    const sdks: FakeSdk[] = [];
    const early = new OpenAIConversation({
      open: () => {
        const sdk = new FakeSdk();
        sdks.push(sdk);
        return sdk as unknown as OpenAIRealtimeWS;
      },
      session: () => ({ type: 'realtime' }),
      audioMode: 'passthrough',
      readyTimeoutMs: 5000,
      keepAliveMs: 10_000,
    });
    early.connect();
    sdks[0].ready();
    expect(early.ready).toBe(true);
    const seen: unknown[][] = [];
    early.listen(new Proxy({} as ConversationEvents, { get: (_t, name: string) => (...args: unknown[]) => seen.push([name, ...args]) }));
    expect(seen).toEqual([]); // told right after listen returns, once the listener is in place
    await Promise.resolve();
    expect(seen).toEqual([['ready', 1]]);
    sdks[0].event({ type: 'response.created', event_id: 'e', response: { id: 'r1' } });
    expect(seen.at(-1)).toEqual(['responseStarted', 'r1']);
  });
});
