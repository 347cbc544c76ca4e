/**
 * The fake Realtime server, driven by the real SDK client over TLS — the way the product talks to it.
 */
import OpenAI from 'openai';
import { OpenAIRealtimeWS } from 'openai/realtime/ws';
import type { OpenAIRealtimeError } from 'openai/realtime/internal-base';
import type {
  RealtimeServerEvent,
  ResponseAudioDeltaEvent,
  ResponseDoneEvent,
} from 'openai/resources/realtime/realtime';
import { mulaw } from 'alawmulaw';
import { createHook } from 'node:async_hooks';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import {
  FakeRealtimeServer,
  makeTone,
  openAIErrorBody,
  RATE_LIMITED_RESPONSE_ERROR,
  SESSION_EXPIRED_MESSAGE,
  type FakeRealtimeOptions,
  type FakeSession,
} from './fakeRealtime';

// ───────────── harness ─────────────

interface Client {
  rt: OpenAIRealtimeWS;
  events: RealtimeServerEvent[];
  /** performance.now() at which each event arrived, parallel to `events`. */
  times: number[];
  errors: OpenAIRealtimeError[];
  socketClosed: Promise<number>;
  /** First event (from index `since`) matching, waiting for it if needed. */
  until<T extends RealtimeServerEvent['type']>(
    type: T,
    pred?: (e: Extract<RealtimeServerEvent, { type: T }>) => boolean,
    since?: number,
    timeoutMs?: number,
  ): Promise<Extract<RealtimeServerEvent, { type: T }>>;
  untilError(pred?: (e: OpenAIRealtimeError) => boolean, since?: number, timeoutMs?: number): Promise<OpenAIRealtimeError>;
}

const servers: FakeRealtimeServer[] = [];
const clients: Client[] = [];

async function startServer(options: FakeRealtimeOptions = {}): Promise<FakeRealtimeServer> {
  const server = await FakeRealtimeServer.start({ speedup: 10, ...options });
  servers.push(server);
  return server;
}

function connect(server: FakeRealtimeServer, model = 'gpt-realtime'): Client {
  const rt = new OpenAIRealtimeWS(
    { model, options: { ca: server.ca } },
    new OpenAI({ apiKey: 'sk-test', baseURL: server.baseURL }),
  );
  const events: RealtimeServerEvent[] = [];
  const times: number[] = [];
  const errors: OpenAIRealtimeError[] = [];
  const listeners = new Set<() => void>();
  const poke = (): void => {
    for (const l of [...listeners]) l();
  };
  rt.on('event', (e) => {
    events.push(e);
    times.push(performance.now());
    poke();
  });
  rt.on('error', (e) => {
    errors.push(e);
    poke();
  });
  const socketClosed = new Promise<number>((resolve) => {
    rt.socket.on('close', (code) => {
      resolve(code);
      poke();
    });
  });
  function waitFor<R>(find: () => R | undefined, what: string, timeoutMs: number): Promise<R> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const found = find();
        if (found !== undefined) {
          listeners.delete(check);
          clearTimeout(timer);
          resolve(found);
        }
      };
      const timer = setTimeout(() => {
        listeners.delete(check);
        reject(new Error(`timed out waiting for ${what}; got ${events.map((e) => e.type).join(', ')}`));
      }, timeoutMs);
      listeners.add(check);
      check();
    });
  }
  const client: Client = {
    rt,
    events,
    times,
    errors,
    socketClosed,
    until(type, pred, since = 0, timeoutMs = 5000) {
      return waitFor(
        () =>
          events.slice(since).find((e) => e.type === type && (!pred || pred(e as never))) as
            | Extract<RealtimeServerEvent, { type: typeof type }>
            | undefined,
        type,
        timeoutMs,
      );
    },
    untilError(pred, since = 0, timeoutMs = 5000) {
      return waitFor(() => errors.slice(since).find((e) => !pred || pred(e)), 'an error', timeoutMs);
    },
  };
  clients.push(client);
  return client;
}

async function connected(server: FakeRealtimeServer, model?: string): Promise<{ c: Client; s: FakeSession }> {
  const c = connect(server, model);
  const [s] = await Promise.all([server.nextSession(), c.until('session.created')]);
  return { c, s };
}

afterEach(async () => {
  for (const c of clients.splice(0)) {
    if (c.rt.socket.readyState === c.rt.socket.OPEN) c.rt.close();
  }
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function pcm16Base64(samples: Int16Array): string {
  const buf = Buffer.alloc(samples.length * 2);
  samples.forEach((v, i) => buf.writeInt16LE(v, i * 2));
  return buf.toString('base64');
}

function decodePcm16(b64: string): Int16Array {
  const buf = Buffer.from(b64, 'base64');
  const out = new Int16Array(buf.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = buf.readInt16LE(i * 2);
  return out;
}

/** Sends audio as 20 ms appends, like a bridge forwarding Twilio frames. */
function appendPcm24k(c: Client, samples: Int16Array): void {
  for (let i = 0; i < samples.length; i += 480) {
    c.rt.send({ type: 'input_audio_buffer.append', audio: pcm16Base64(samples.subarray(i, i + 480)) });
  }
}

const silence = (ms: number, rate = 24000): Int16Array => new Int16Array((ms * rate) / 1000);
const tone = (ms: number, rate = 24000): Int16Array => {
  const t = makeTone(300, (ms * rate) / 1000, rate);
  return t;
};
const concat = (...parts: Int16Array[]): Int16Array => {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};

const types = (events: RealtimeServerEvent[]): string[] => events.map((e) => e.type);
const audioDeltas = (c: Client, responseId: string): ResponseAudioDeltaEvent[] =>
  c.events.filter((e): e is ResponseAudioDeltaEvent => e.type === 'response.output_audio.delta' && e.response_id === responseId);

// ───────────── tests ─────────────

describe('FakeRealtimeServer: connection', () => {
  test('serves wss with a throwaway certificate; session.created carries a plausible GA session', async () => {
    const server = await startServer();
    expect(server.baseURL).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/v1$/);
    expect(server.ca).toContain('BEGIN CERTIFICATE');

    const c = connect(server, 'gpt-realtime-mini');
    const created = await c.until('session.created');
    const s = await server.nextSession();

    expect(c.rt.url.toString()).toBe(`${server.baseURL.replace('https', 'wss')}/realtime?model=gpt-realtime-mini`);
    expect(s.model).toBe('gpt-realtime-mini');
    expect(s.authorization).toBe('Bearer sk-test');
    expect(s.sessionConfig).toBeUndefined();
    expect(created.session).toMatchObject({
      type: 'realtime',
      id: expect.stringMatching(/^sess_/),
      expires_at: expect.any(Number),
      audio: {
        input: { format: { type: 'audio/pcm', rate: 24000 }, turn_detection: { type: 'server_vad' } },
        output: { format: { type: 'audio/pcm', rate: 24000 } },
      },
    });
    expect(c.errors).toEqual([]);
  });

  test('nextSession hands out sessions in order; client close resolves session.closed; drop gives 1006', async () => {
    const server = await startServer();
    const a = connect(server);
    await a.until('session.created');
    const b = connect(server);
    await b.until('session.created');
    const sa = await server.nextSession();
    const sb = await server.nextSession();
    expect(server.sessions).toEqual([sa, sb]);
    const third = server.nextSession(); // not yet connected
    const c = connect(server);
    const sc = await third;
    expect(server.sessions[2]).toBe(sc);
    await c.until('session.created');

    a.rt.close();
    await expect(sa.closed).resolves.toMatchObject({ code: 1000, at: expect.any(Number) });

    sb.drop();
    await expect(b.socketClosed).resolves.toBe(1006);
    await expect(sb.closed).resolves.toMatchObject({ code: 1006 });
  });

  test('refuses a wrong path and lets a test refuse the upgrade (e.g. 401)', async () => {
    const server = await startServer({
      refuseUpgrade: (info) => (info.authorization === 'Bearer sk-bad' ? { status: 401, body: 'Incorrect API key provided' } : undefined),
    });
    const bad = new OpenAIRealtimeWS(
      { model: 'gpt-realtime', options: { ca: server.ca } },
      new OpenAI({ apiKey: 'sk-bad', baseURL: server.baseURL }),
    );
    const errors: OpenAIRealtimeError[] = [];
    bad.on('error', (e) => errors.push(e));
    await new Promise<void>((resolve) => bad.socket.on('close', () => resolve()));
    expect(errors.map((e) => e.message).join('\n')).toContain('401');

    const wrongPath = new OpenAIRealtimeWS(
      { model: 'gpt-realtime', options: { ca: server.ca } },
      new OpenAI({ apiKey: 'sk-test', baseURL: server.baseURL.replace('/v1', '/v2') }),
    );
    const errors2: OpenAIRealtimeError[] = [];
    wrongPath.on('error', (e) => errors2.push(e));
    await new Promise<void>((resolve) => wrongPath.socket.on('close', () => resolve()));
    expect(errors2.map((e) => e.message).join('\n')).toContain('404');
    expect(server.sessions).toHaveLength(0);
    expect(server.upgrades.map((u) => u.path)).toEqual(['/v1/realtime', '/v2/realtime']);
  });
});

describe('FakeRealtimeServer: session.update', () => {
  test('merges only the fields sent (deep-merging audio.input/output) and replies with the full session', async () => {
    const server = await startServer();
    const { c, s } = await connected(server);

    c.rt.send({
      type: 'session.update',
      session: {
        type: 'realtime',
        instructions: 'You are a phone agent.',
        audio: {
          input: {
            format: { type: 'audio/pcmu' },
            transcription: { model: 'gpt-4o-mini-transcribe' },
            turn_detection: { type: 'server_vad', silence_duration_ms: 700 },
          },
          output: { format: { type: 'audio/pcmu' } },
        },
      },
    });
    const u1 = await c.until('session.updated');
    expect(u1.session).toMatchObject({
      type: 'realtime',
      instructions: 'You are a phone agent.',
      audio: {
        input: {
          format: { type: 'audio/pcmu' },
          transcription: { model: 'gpt-4o-mini-transcribe' },
          turn_detection: {
            type: 'server_vad',
            silence_duration_ms: 700,
            prefix_padding_ms: 300,
            create_response: true,
            interrupt_response: true,
          },
        },
        output: { format: { type: 'audio/pcmu' }, voice: 'alloy' }, // voice kept from the defaults
      },
    });
    expect(s.sessionConfig).toEqual(u1.session);

    const n = c.events.length;
    c.rt.send({ type: 'session.update', session: { type: 'realtime', audio: { output: { voice: 'marin' } } } });
    const u2 = await c.until('session.updated', undefined, n);
    expect(u2.session).toMatchObject({
      instructions: 'You are a phone agent.',
      audio: { input: { format: { type: 'audio/pcmu' } }, output: { format: { type: 'audio/pcmu' }, voice: 'marin' } },
    });
  });

  test('a session.update without session.type is rejected with the real error and changes nothing', async () => {
    const server = await startServer();
    const { c, s } = await connected(server);
    // The SDK's types require session.type, so this is what an untyped caller would send.
    c.rt.socket.send(JSON.stringify({ type: 'session.update', session: { instructions: 'x' } }));
    const err = await c.untilError();
    expect(err.error).toMatchObject({
      type: 'invalid_request_error',
      code: 'missing_required_parameter',
      param: 'session.type',
      message: "Missing required parameter: 'session.type'.",
    });
    expect(err.event_id).toMatch(/^event_/);
    expect(s.errorsSent).toEqual([{ code: 'missing_required_parameter', message: "Missing required parameter: 'session.type'." }]);
    expect(s.sessionConfig).toBeUndefined();
    expect(c.events.some((e) => e.type === 'session.updated')).toBe(false);
  });
});

describe('FakeRealtimeServer: session settings the real server checks', () => {
  test('takes a reasoning effort and gpt-realtime-whisper with a delay, as the SDK types them', async () => {
    const server = await startServer();
    const { c, s } = await connected(server, 'gpt-realtime-2.1');
    c.rt.send({
      type: 'session.update',
      session: {
        type: 'realtime',
        reasoning: { effort: 'minimal' },
        audio: {
          input: { transcription: { model: 'gpt-realtime-whisper', delay: 'low', language: 'en' } },
          output: { voice: 'cedar' },
        },
      },
    });
    const updated = await c.until('session.updated');
    expect(updated.session).toMatchObject({
      reasoning: { effort: 'minimal' },
      audio: {
        input: { transcription: { model: 'gpt-realtime-whisper', delay: 'low', language: 'en' } },
        output: { voice: 'cedar' },
      },
    });
    expect(s.errorsSent).toEqual([]);
  });

  const refused: Array<[string, Record<string, unknown>, string]> = [
    ['an unknown voice', { audio: { output: { voice: 'marine' } } }, 'session.audio.output.voice'],
    [
      'an unknown transcription model',
      { audio: { input: { transcription: { model: 'gpt-4o-transcribe-2' } } } },
      'session.audio.input.transcription.model',
    ],
    ['an invalid reasoning effort', { reasoning: { effort: 'max' } }, 'session.reasoning.effort'],
    [
      'an invalid transcription delay',
      { audio: { input: { transcription: { model: 'gpt-realtime-whisper', delay: 'none' } } } },
      'session.audio.input.transcription.delay',
    ],
    [
      'a delay with a transcription model other than gpt-realtime-whisper',
      { audio: { input: { transcription: { model: 'gpt-4o-mini-transcribe', delay: 'low' } } } },
      'session.audio.input.transcription.delay',
    ],
    [
      'a prompt with gpt-realtime-whisper',
      { audio: { input: { transcription: { model: 'gpt-realtime-whisper', prompt: 'dentist' } } } },
      'session.audio.input.transcription.prompt',
    ],
  ];
  test.each(refused)('refuses %s with invalid_value naming the field, and changes nothing', async (_what, session, param) => {
    const server = await startServer();
    const { c, s } = await connected(server);
    // Sent raw: the SDK's types would refuse some of these at compile time, the server sees them anyway.
    c.rt.socket.send(JSON.stringify({ type: 'session.update', session: { type: 'realtime', instructions: 'x', ...session } }));
    const err = await c.untilError();
    expect(err.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_value', param, event_id: null });
    expect(err.error?.message).toMatch(/^Invalid/);
    expect(s.sessionConfig).toBeUndefined();
    expect(s.currentSession.instructions).not.toBe('x');
    expect(c.events.some((e) => e.type === 'session.updated')).toBe(false);
  });
});

describe('FakeRealtimeServer: responses', () => {
  test('response.create streams the reply as PCM16 24 kHz deltas, faster than real time, in protocol order', async () => {
    const server = await startServer({
      speedup: 10,
      reply: () => ({ text: 'One two three four five six.', toneHz: 440, durationMs: 1000 }),
    });
    const { c, s } = await connected(server);
    const t0 = performance.now();
    c.rt.send({ type: 'response.create' });
    const done = await c.until('response.done');
    const elapsed = performance.now() - t0;
    const rid = done.response.id!;

    const deltas = audioDeltas(c, rid);
    const chunks = deltas.map((d) => decodePcm16(d.delta));
    const totalSamples = chunks.reduce((n, x) => n + x.length, 0);
    const totalMs = totalSamples / 24;
    expect(Math.abs(totalMs - 1000)).toBeLessThanOrEqual(100); // ±1 delta
    expect(chunks.slice(0, -1).every((x) => x.length === 2400)).toBe(true);
    expect(chunks[chunks.length - 1]!.length % 3).not.toBe(0); // leftover handling gets exercised
    // The audio is the tone: peak ~0.3 FS.
    const peak = Math.max(...chunks.map((x) => Math.max(...x.map(Math.abs))));
    expect(peak / 32768).toBeGreaterThan(0.27);
    expect(peak / 32768).toBeLessThan(0.33);

    // Streamed faster than real time, but spread out by the timer (not dumped at once).
    expect(elapsed).toBeLessThan(1000);
    const deltaTimes = c.events
      .map((e, i) => (e.type === 'response.output_audio.delta' ? c.times[i]! : -1))
      .filter((t) => t >= 0);
    expect(deltaTimes[deltaTimes.length - 1]! - deltaTimes[0]!).toBeGreaterThan(((deltas.length - 1) * 10) / 2);

    // Protocol order.
    const seq = types(c.events).filter((t) => t.startsWith('response.') && !t.endsWith('.delta'));
    expect(seq).toEqual([
      'response.created',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_audio.done',
      'response.output_audio_transcript.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.done',
    ]);
    const transcriptDeltas = c.events.filter((e) => e.type === 'response.output_audio_transcript.delta');
    expect(transcriptDeltas.length).toBeGreaterThan(1);
    expect(transcriptDeltas.map((e) => (e.type === 'response.output_audio_transcript.delta' ? e.delta : '')).join('')).toBe(
      'One two three four five six.',
    );
    const tdone = await c.until('response.output_audio_transcript.done');
    expect(tdone.transcript).toBe('One two three four five six.');

    expect(done.response).toMatchObject({
      status: 'completed',
      output: [{ type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_audio', transcript: 'One two three four five six.' }] }],
      usage: {
        total_tokens: expect.any(Number),
        input_tokens: expect.any(Number),
        output_tokens: expect.any(Number),
        input_token_details: { cached_tokens: expect.any(Number), audio_tokens: expect.any(Number), text_tokens: expect.any(Number) },
        output_token_details: { audio_tokens: 20, text_tokens: expect.any(Number) },
      },
    });
    const itemId = deltas[0]!.item_id;
    expect(itemId).toMatch(/^item_/);
    expect(s.itemAudioMs(itemId)).toBeCloseTo(totalMs, 6);
    expect(s.responses).toEqual([{ id: rid, status: 'completed' }]);
  });

  test('response.create while a response is active gives conversation_already_has_active_response', async () => {
    const server = await startServer({ reply: () => ({ text: 'Long.', toneHz: 440, durationMs: 3000 }) });
    const { c } = await connected(server);
    c.rt.send({ type: 'response.create' });
    await c.until('response.created');
    c.rt.send({ type: 'response.create' });
    const err = await c.untilError();
    expect(err.error?.code).toBe('conversation_already_has_active_response');
    c.rt.send({ type: 'response.cancel' });
    await c.until('response.done');
  });

  test('the output format follows the session: audio/pcmu gives μ-law 8 kHz deltas', async () => {
    const server = await startServer({ reply: () => ({ text: 'Hi.', toneHz: 1000, durationMs: 500 }) });
    const { c } = await connected(server);
    c.rt.send({ type: 'session.update', session: { type: 'realtime', audio: { output: { format: { type: 'audio/pcmu' } } } } });
    await c.until('session.updated');
    c.rt.send({ type: 'response.create' });
    const done = await c.until('response.done');
    const bytes = audioDeltas(c, done.response.id!).map((d) => Buffer.from(d.delta, 'base64'));
    expect(bytes.reduce((n, b) => n + b.length, 0)).toBe(4000); // 500 ms at 8 kHz, 1 byte a sample
    expect(bytes[0]!.length).toBe(800);
    const pcm = mulaw.decode(new Uint8Array(Buffer.concat(bytes)));
    expect(Math.max(...pcm.map(Math.abs)) / 32768).toBeGreaterThan(0.27);
    expect(done.response.audio?.output?.format).toEqual({ type: 'audio/pcmu' });
  });

  test('response.cancel stops the deltas at once; a second cancel gives response_cancel_not_active', async () => {
    const server = await startServer({ speedup: 10, reply: () => ({ text: 'A long answer.', toneHz: 440, durationMs: 5000 }) });
    const { c, s } = await connected(server);
    c.rt.send({ type: 'response.create' });
    const firstDelta = await c.until('response.output_audio.delta');
    await c.until('response.output_audio.delta', undefined, c.events.indexOf(firstDelta) + 1);
    c.rt.send({ type: 'response.cancel' });
    const done = await c.until('response.done');
    expect(done.response.status).toBe('cancelled');
    expect(done.response.status_details).toEqual({ type: 'cancelled', reason: 'client_cancelled' });
    expect(done.response.output?.[0]).toMatchObject({ status: 'incomplete' });
    const sent = audioDeltas(c, done.response.id!).length;
    expect(sent).toBeLessThan(50);
    expect(s.itemAudioMs(firstDelta.item_id)).toBe(sent * 100);

    await sleep(60); // several delta intervals: nothing more may arrive
    expect(audioDeltas(c, done.response.id!).length).toBe(sent);
    expect(types(c.events).indexOf('response.done')).toBe(c.events.length - 1);

    c.rt.send({ type: 'response.cancel' });
    const err = await c.untilError();
    expect(err.error).toMatchObject({
      type: 'invalid_request_error',
      code: 'response_cancel_not_active',
      message: 'Cancellation failed: no active response found',
    });
    expect(c.rt.socket.readyState).toBe(c.rt.socket.OPEN); // recoverable
  });

  test('a reply can end with a function call', async () => {
    const server = await startServer({
      reply: () => ({ text: 'Goodbye.', toneHz: 440, durationMs: 300, functionCall: { name: 'end_call', arguments: '{}' } }),
    });
    const { c } = await connected(server);
    c.rt.send({ type: 'response.create' });
    const args = await c.until('response.function_call_arguments.done');
    expect(args).toMatchObject({ name: 'end_call', arguments: '{}', output_index: 1, call_id: expect.stringMatching(/^call_/) });
    const done = await c.until('response.done');
    expect(done.response.output?.map((i) => i.type)).toEqual(['message', 'function_call']);
  });

  test('conversation.item.create is acknowledged with added/done and a server id', async () => {
    const server = await startServer();
    const { c, s } = await connected(server);
    c.rt.send({
      type: 'conversation.item.create',
      item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Greet the caller.' }] },
    });
    const added = await c.until('conversation.item.added');
    await c.until('conversation.item.done');
    expect(added.item).toMatchObject({ id: expect.stringMatching(/^item_/), type: 'message', role: 'user' });
    expect(added.previous_item_id).toBeNull();
    expect(s.conversation()).toHaveLength(1);
  });
});

describe('FakeRealtimeServer: truncate', () => {
  async function completedItem(server: FakeRealtimeServer): Promise<{ c: Client; s: FakeSession; itemId: string; done: ResponseDoneEvent }> {
    const { c, s } = await connected(server);
    c.rt.send({ type: 'response.create' });
    const done = await c.until('response.done');
    return { c, s, itemId: done.response.output![0]!.id!, done };
  }

  test('truncating beyond the audio length fails with the real message; within it succeeds and shortens the item', async () => {
    const server = await startServer({ speedup: 20, reply: () => ({ text: 'Hi there.', toneHz: 440, durationMs: 1000 }) });
    const { c, s, itemId } = await completedItem(server);

    c.rt.send({ type: 'conversation.item.truncate', item_id: itemId, content_index: 0, audio_end_ms: 5000 });
    const err = await c.untilError();
    expect(err.error?.type).toBe('invalid_request_error');
    expect(err.error?.message).toBe('Audio content of 1000ms is already shorter than 5000ms');

    c.rt.send({ type: 'conversation.item.truncate', item_id: itemId, content_index: 0, audio_end_ms: 400 });
    const truncated = await c.until('conversation.item.truncated');
    expect(truncated).toMatchObject({ item_id: itemId, content_index: 0, audio_end_ms: 400 });
    expect(s.truncations).toEqual([{ item_id: itemId, audio_end_ms: 400, at: expect.any(Number) }]);

    c.rt.send({ type: 'conversation.item.truncate', item_id: itemId, content_index: 0, audio_end_ms: 600 });
    const err2 = await c.untilError(undefined, 1);
    expect(err2.error?.message).toBe('Audio content of 400ms is already shorter than 600ms');
    expect(s.errorsSent.map((e) => e.message)).toEqual([
      'Audio content of 1000ms is already shorter than 5000ms',
      'Audio content of 400ms is already shorter than 600ms',
    ]);
  });

  test('a non-integer audio_end_ms and an unknown item are invalid_request_errors', async () => {
    const server = await startServer({ speedup: 20, reply: () => ({ text: 'Hi.', toneHz: 440, durationMs: 500 }) });
    const { c, s, itemId } = await completedItem(server);

    c.rt.send({ type: 'conversation.item.truncate', item_id: itemId, content_index: 0, audio_end_ms: 120.5 });
    const err = await c.untilError();
    expect(err.error).toMatchObject({
      type: 'invalid_request_error',
      code: 'invalid_type',
      param: 'audio_end_ms',
      message: "Invalid type for 'audio_end_ms': expected an integer, but got a decimal number instead.",
    });

    c.rt.send({ type: 'conversation.item.truncate', item_id: 'item_nope', content_index: 0, audio_end_ms: 0 });
    const err2 = await c.untilError(undefined, 1);
    expect(err2.error?.type).toBe('invalid_request_error');
    expect(err2.error?.param).toBe('item_id');
    expect(s.truncations).toEqual([]);
  });
});

describe('FakeRealtimeServer: server VAD', () => {
  test('silence + tone + silence → speech_started, speech_stopped, commit, transcription and an automatic response', async () => {
    const server = await startServer({ speedup: 20, reply: () => ({ text: 'Sure.', toneHz: 440, durationMs: 400 }) });
    const { c, s } = await connected(server);
    c.rt.send({
      type: 'session.update',
      session: {
        type: 'realtime',
        audio: {
          input: {
            transcription: { model: 'gpt-4o-mini-transcribe' },
            turn_detection: { type: 'server_vad', prefix_padding_ms: 300, silence_duration_ms: 500 },
          },
        },
      },
    });
    await c.until('session.updated');
    appendPcm24k(c, concat(silence(1000), tone(1000), silence(1000)));

    const started = await c.until('input_audio_buffer.speech_started');
    expect(started.audio_start_ms).toBe(700); // 1000 ms minus 300 ms prefix padding
    const stopped = await c.until('input_audio_buffer.speech_stopped');
    expect(stopped.item_id).toBe(started.item_id);
    expect(stopped.audio_end_ms).toBeGreaterThanOrEqual(2500);
    expect(stopped.audio_end_ms).toBeLessThanOrEqual(2540);
    const committed = await c.until('input_audio_buffer.committed');
    expect(committed.item_id).toBe(started.item_id);
    const transcription = await c.until('conversation.item.input_audio_transcription.completed');
    expect(transcription).toMatchObject({ item_id: started.item_id, content_index: 0, transcript: 'I would like some help.' });
    expect(transcription.usage.type).toBe('tokens');
    const done = await c.until('response.done');
    expect(done.response.status).toBe('completed');
    expect(types(c.events).indexOf('response.created')).toBeGreaterThan(types(c.events).indexOf('input_audio_buffer.committed'));

    expect(s.speechStartedAt).toHaveLength(1);
    expect(s.inputAudioPcm24k()).toHaveLength(72000);
    expect(s.inputAudioPcm8k()).toHaveLength(0);
    expect(s.errorsSent).toEqual([]);
  });

  test('speech during an active response cancels it with turn_detected; a late response.cancel gets the real error', async () => {
    const server = await startServer({ speedup: 10, reply: () => ({ text: 'A long answer.', toneHz: 440, durationMs: 5000 }) });
    const { c, s } = await connected(server);
    c.rt.send({ type: 'response.create' });
    await c.until('response.output_audio.delta');
    appendPcm24k(c, tone(200));

    const started = await c.until('input_audio_buffer.speech_started');
    const done = await c.until('response.done');
    expect(c.events.indexOf(done)).toBeGreaterThan(c.events.indexOf(started));
    expect(done.response.status).toBe('cancelled');
    expect(done.response.status_details).toEqual({ type: 'cancelled', reason: 'turn_detected' });
    expect(s.speechStartedAt).toHaveLength(1);

    c.rt.send({ type: 'response.cancel' });
    const err = await c.untilError();
    expect(err.error?.code).toBe('response_cancel_not_active');
    expect(s.responses).toEqual([{ id: done.response.id, status: 'cancelled', reason: 'turn_detected' }]);
  });

  test('audio/pcmu input is decoded at 8 kHz and runs the same VAD', async () => {
    const server = await startServer({ speedup: 20, reply: () => ({ text: 'Ok.', toneHz: 440, durationMs: 200 }) });
    const { c, s } = await connected(server);
    c.rt.send({ type: 'session.update', session: { type: 'realtime', audio: { input: { format: { type: 'audio/pcmu' } } } } });
    await c.until('session.updated');
    const audio = mulaw.encode(concat(silence(500, 8000), tone(600, 8000), silence(700, 8000)));
    for (let i = 0; i < audio.length; i += 160) {
      c.rt.send({ type: 'input_audio_buffer.append', audio: Buffer.from(audio.subarray(i, i + 160)).toString('base64') });
    }
    const started = await c.until('input_audio_buffer.speech_started');
    expect(started.audio_start_ms).toBe(200);
    await c.until('input_audio_buffer.speech_stopped');
    await c.until('response.done');
    expect(s.inputAudioPcm8k()).toHaveLength(14400);
    expect(s.inputAudioPcm24k()).toHaveLength(0);
  });

  test('whisper transcriptions report seconds of audio, as models billed by duration do', async () => {
    const server = await startServer({ speedup: 20, reply: () => ({ text: 'Sure.', toneHz: 440, durationMs: 200 }) });
    const { c } = await connected(server);
    c.rt.send({
      type: 'session.update',
      session: { type: 'realtime', audio: { input: { transcription: { model: 'gpt-realtime-whisper' } } } },
    });
    await c.until('session.updated');
    appendPcm24k(c, concat(silence(500), tone(1000), silence(1000)));
    const started = await c.until('input_audio_buffer.speech_started');
    const stopped = await c.until('input_audio_buffer.speech_stopped');
    const transcription = await c.until('conversation.item.input_audio_transcription.completed');
    expect(transcription.usage).toEqual({ type: 'duration', seconds: (stopped.audio_end_ms - started.audio_start_ms) / 1000 });
  });
});

describe('FakeRealtimeServer: manual turns and text', () => {
  test('with turn_detection null there is no VAD; commit needs ≥100 ms and then makes a user item', async () => {
    const server = await startServer();
    const { c, s } = await connected(server);
    c.rt.send({ type: 'session.update', session: { type: 'realtime', audio: { input: { turn_detection: null } } } });
    await c.until('session.updated');
    c.rt.send({ type: 'input_audio_buffer.commit' });
    const err = await c.untilError();
    expect(err.error?.code).toBe('input_audio_buffer_commit_empty');
    appendPcm24k(c, concat(silence(200), tone(500), silence(800)));
    c.rt.send({ type: 'input_audio_buffer.commit' });
    const committed = await c.until('input_audio_buffer.committed');
    await c.until('conversation.item.done', (e) => e.item.id === committed.item_id);
    expect(types(c.events)).not.toContain('input_audio_buffer.speech_started');
    expect(types(c.events)).not.toContain('response.created');
    expect(s.conversation().map((i) => i.type)).toEqual(['message']);
  });

  test('output_modalities text streams output_text deltas and no audio', async () => {
    const server = await startServer({ reply: () => ({ text: 'Just text here.', toneHz: 440, durationMs: 1000 }) });
    const { c } = await connected(server);
    c.rt.send({ type: 'response.create', response: { output_modalities: ['text'] } });
    const done = await c.until('response.done');
    const text = await c.until('response.output_text.done');
    expect(text.text).toBe('Just text here.');
    expect(audioDeltas(c, done.response.id!)).toHaveLength(0);
    expect(done.response.output?.[0]).toMatchObject({ content: [{ type: 'output_text', text: 'Just text here.' }] });
  });
});

describe('FakeRealtimeServer: bad input', () => {
  test('unknown event types and malformed JSON get error events; the session stays open', async () => {
    const server = await startServer();
    const { c, s } = await connected(server);
    c.rt.socket.send(JSON.stringify({ type: 'response.audio.delta' }));
    const e1 = await c.untilError();
    expect(e1.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_value', param: 'type' });
    c.rt.socket.send('{not json');
    const e2 = await c.untilError(undefined, 1);
    expect(e2.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_json' });
    expect(s.errorsSent.map((e) => e.code)).toEqual(['invalid_value', 'invalid_json']);
    expect(s.clientEvents.map((e) => e.type)).toEqual(['response.audio.delta']);

    const waiting = s.waitFor((e) => e.type === 'response.cancel', 1000);
    c.rt.send({ type: 'response.cancel' });
    await expect(waiting).resolves.toMatchObject({ type: 'response.cancel' });
  });
});

// ───────────── fault modes ─────────────

/** Opens a raw ws@8 client to the fake and collects what an HTTP refusal says (status and body). */
function rawRefusal(server: FakeRealtimeServer, apiKey = 'sk-test'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${server.baseURL.replace('https', 'wss')}/realtime?model=gpt-realtime`, {
      ca: server.ca,
      headers: { Authorization: `Bearer ${apiKey}` },
    });
    ws.on('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        ws.terminate();
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
      });
    });
    ws.on('open', () => {
      ws.terminate();
      reject(new Error('the upgrade was accepted'));
    });
    ws.on('error', () => undefined); // terminate() after unexpected-response reports an abort
  });
}

/** Connects with the SDK and waits for the socket to close without a session (refused, reset…). */
async function failedConnect(server: FakeRealtimeServer): Promise<{ code: number; errors: OpenAIRealtimeError[] }> {
  const c = connect(server);
  const code = await c.socketClosed;
  return { code, errors: c.errors };
}

/**
 * Counts the timers created from now on that are still pending, jest's own left out. Counting every timer in the
 * process instead counted those that other tests and jest's reporter left behind, which come and go on their
 * own schedule.
 */
function watchTimeouts(): { pending: () => Promise<number>; stop: () => void } {
  const pending = new Set<number>();
  const hook = createHook({
    init: (id, type) => {
      if (type === 'Timeout' && !/[\\/]node_modules[\\/]@jest[\\/]/.test(new Error().stack ?? '')) pending.add(id);
    },
    destroy: (id) => void pending.delete(id),
  }).enable();
  return {
    // Node reports a timer's end (cleared or fired) to the hook after the current tick.
    pending: async () => {
      await new Promise(setImmediate);
      return pending.size;
    },
    stop: () => void hook.disable(),
  };
}

describe('FakeRealtimeServer: fault modes', () => {
  test('refuse: HTTP errors on the upgrade with OpenAI-style bodies (401 bad key, 429, 500), chosen per connection', async () => {
    const plan = [401, 429, 500];
    const server = await startServer({ faults: (i) => (i < 3 ? { refuse: { status: plan[i]! } } : i === 3 ? { refuse: { status: 418, body: 'teapot' } } : undefined) });
    for (const status of plan) {
      const { code, errors } = await failedConnect(server);
      expect(code).toBe(1006);
      expect(errors.map((e) => e.message).join('\n')).toContain(`Unexpected server response: ${status}`);
    }
    const custom = await rawRefusal(server);
    expect(custom).toEqual({ status: 418, body: 'teapot' });
    const healthy = await connected(server);
    expect(healthy.c.errors).toEqual([]);

    expect(server.sessions).toHaveLength(1);
    expect(server.upgrades.map((u) => [u.outcome, u.status])).toEqual([
      ['refused', 401],
      ['refused', 429],
      ['refused', 500],
      ['refused', 418],
      ['accepted', undefined],
    ]);
    // The bodies are what the real API answers.
    expect(JSON.parse(openAIErrorBody(401, 'sk-test-key-0123456789'))).toEqual({
      error: {
        message: expect.stringMatching(/^Incorrect API key provided: sk-\*+6789\. You can find your API key at /),
        type: 'invalid_request_error',
        param: null,
        code: 'invalid_api_key',
      },
    });
  });

  test('refuse: the default body is sent verbatim (raw client sees the JSON)', async () => {
    const server = await startServer({ faults: (i) => ({ refuse: { status: [401, 429, 500][i % 3]! } }) });
    const a = await rawRefusal(server, 'sk-abcdefghijklmnop');
    expect(a.status).toBe(401);
    expect(JSON.parse(a.body)).toMatchObject({ error: { code: 'invalid_api_key', type: 'invalid_request_error' } });
    expect(a.body).not.toContain('sk-abcdefghijklmnop');
    const b = await rawRefusal(server);
    expect(b.status).toBe(429);
    expect(JSON.parse(b.body)).toMatchObject({ error: { code: 'rate_limit_exceeded' } });
    const c = await rawRefusal(server);
    expect(c.status).toBe(500);
    expect(JSON.parse(c.body)).toMatchObject({ error: { type: 'server_error', code: null } });
  });

  test('the legacy refuseUpgrade hook still works alongside faults', async () => {
    const server = await startServer({
      refuseUpgrade: (info) => (info.attempt === 0 ? { status: 403, body: 'Project not allowed' } : undefined),
      faults: () => ({ dropAfterMs: 10_000 }),
    });
    const r = await rawRefusal(server);
    expect(r.status).toBe(403);
    expect(JSON.parse(r.body)).toMatchObject({ error: { message: 'Project not allowed' } });
    const { s } = await connected(server);
    expect(s.faults).toEqual({ dropAfterMs: 10_000 });
  });

  test('reset: the socket is destroyed before the handshake completes; the SDK reports an error and 1006', async () => {
    const server = await startServer({ faults: (i) => (i === 0 ? { reset: true } : undefined) });
    const { code, errors } = await failedConnect(server);
    expect(code).toBe(1006);
    expect(errors.length).toBeGreaterThanOrEqual(1);
    expect(errors[0]!.message).toMatch(/socket hang up|ECONNRESET/);
    expect(server.upgrades[0]).toMatchObject({ outcome: 'reset' });
    expect(server.sessions).toHaveLength(0);
    await connected(server); // the next connection is fine
  });

  test('dropAfterMs: abrupt termination N ms after opening (no close frame: 1006 on both sides)', async () => {
    const server = await startServer({ faults: () => ({ dropAfterMs: 80 }) });
    const t0 = performance.now();
    const { c, s } = await connected(server);
    const code = await c.socketClosed;
    expect(code).toBe(1006);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(75);
    await expect(s.closed).resolves.toMatchObject({ code: 1006 });
    expect(c.errors).toEqual([]);
  });

  test('errorAfterMs: an error event arrives after N ms; the session stays open unless asked to close', async () => {
    const server = await startServer({
      faults: (i) =>
        i === 0
          ? { errorAfterMs: { afterMs: 30, code: 'server_error', message: 'The server had an error.', type: 'server_error' } }
          : i === 1
            ? { errorAfterMs: { afterMs: 30, code: 'internal_error', message: 'Internal failure.', close: true } }
            : { errorAfterMs: { afterMs: 30, code: 'going_away', message: 'Bye.', type: 'invalid_request_error', close: 1000 } },
    });
    const a = await connected(server);
    const err = await a.c.untilError();
    expect(err.error).toMatchObject({ type: 'server_error', code: 'server_error', message: 'The server had an error.', param: null });
    a.c.rt.send({ type: 'response.create' });
    await a.c.until('response.done'); // still working
    expect(a.s.errorsSent).toEqual([{ code: 'server_error', message: 'The server had an error.' }]);

    const b = await connected(server);
    const errB = await b.c.untilError();
    expect(errB.error).toMatchObject({ code: 'internal_error', type: 'server_error' });
    await expect(b.c.socketClosed).resolves.toBe(1011);
    await expect(b.s.closed).resolves.toMatchObject({ code: 1011 });

    const c = await connected(server);
    const errC = await c.c.untilError();
    expect(errC.error).toMatchObject({ code: 'going_away', type: 'invalid_request_error' });
    await expect(c.c.socketClosed).resolves.toBe(1000);
  });

  test('expireAfterMs: the 60-minute cap scaled down: session_expired, then the server closes', async () => {
    const server = await startServer({ faults: () => ({ expireAfterMs: 100 }) });
    const before = Date.now() / 1000;
    const c = connect(server);
    const created = await c.until('session.created');
    const expiresAt = (created.session as { expires_at?: number }).expires_at!;
    expect(expiresAt).toBeGreaterThanOrEqual(Math.floor(before));
    expect(expiresAt).toBeLessThanOrEqual(Math.ceil(before + 0.1) + 1);
    const err = await c.untilError();
    expect(err.error).toEqual({
      type: 'invalid_request_error',
      code: 'session_expired',
      message: SESSION_EXPIRED_MESSAGE,
      param: null,
      event_id: null,
    });
    expect(SESSION_EXPIRED_MESSAGE).toBe('Your session hit the maximum duration of 60 minutes.');
    await expect(c.socketClosed).resolves.toBe(1000);
    // The error is the last thing the client got.
    expect(c.events[c.events.length - 1]!.type).toBe('error');
  });

  test('rateLimitResponses: every response ends at once as failed, with no output and zero usage', async () => {
    const server = await startServer({ faults: () => ({ rateLimitResponses: true }) });
    const { c, s } = await connected(server);
    c.rt.send({ type: 'response.create' });
    const done = await c.until('response.done');
    expect(done.response).toMatchObject({
      status: 'failed',
      status_details: { type: 'failed', error: { ...RATE_LIMITED_RESPONSE_ERROR } },
      output: [],
      usage: { total_tokens: 0, input_tokens: 0, output_tokens: 0 },
    });
    const created = await c.until('response.created');
    expect(created.response.id).toBe(done.response.id);
    expect(types(c.events).filter((t) => t.startsWith('response.'))).toEqual(['response.created', 'response.done']);

    // Nothing stays active: the next response.create is not refused, it fails the same way.
    const n = c.events.length;
    c.rt.send({ type: 'response.create' });
    const done2 = await c.until('response.done', undefined, n);
    expect(done2.response.status).toBe('failed');
    expect(c.errors).toEqual([]);
    expect(s.responses.map((r) => r.status)).toEqual(['failed', 'failed']);
    expect(s.responseActive).toBe(false);
  });

  test('rateLimitResponses: VAD-created responses fail too; a custom error is passed through', async () => {
    const custom = { type: 'insufficient_quota', code: 'insufficient_quota', message: 'You exceeded your current quota.' };
    const server = await startServer({ speedup: 20, faults: () => ({ rateLimitResponses: custom }) });
    const { c } = await connected(server);
    appendPcm24k(c, concat(silence(200), tone(400), silence(700)));
    const done = await c.until('response.done');
    expect(done.response.status_details).toEqual({ type: 'failed', error: custom });
    expect(c.events.some((e) => e.type === 'response.output_audio.delta')).toBe(false);
  });

  test('stopAccepting: the port refuses new connections while established sessions carry on; resumeAccepting reopens it', async () => {
    const server = await startServer({ reply: () => ({ text: 'Still here.', toneHz: 440, durationMs: 300 }) });
    const { c } = await connected(server);
    expect(server.accepting).toBe(true);

    await server.stopAccepting();
    await server.stopAccepting(); // idempotent
    expect(server.accepting).toBe(false);
    const refused = await failedConnect(server);
    expect(refused.code).toBe(1006);
    expect(refused.errors[0]!.message).toContain('ECONNREFUSED');
    expect(server.upgrades).toHaveLength(1); // it never reached the server

    c.rt.send({ type: 'response.create' });
    const done = await c.until('response.done');
    expect(done.response.status).toBe('completed');

    await server.resumeAccepting();
    expect(server.accepting).toBe(true);
    const again = await connected(server);
    expect(again.c.errors).toEqual([]);
    expect(server.sessions).toHaveLength(2);
  });

  test('close() works while not accepting, with sessions still open', async () => {
    const server = await startServer();
    const { c, s } = await connected(server);
    await server.stopAccepting();
    await server.close();
    await expect(c.socketClosed).resolves.toBe(1006);
    await expect(s.closed).resolves.toMatchObject({ code: 1006 });
    await server.resumeAccepting(); // after close: does nothing
    expect(server.accepting).toBe(false);
  });

  test('fault timers are cleared when the session closes (client close, server close): no open handles', async () => {
    const timeouts = watchTimeouts();
    const server = await startServer({
      faults: () => ({
        dropAfterMs: 60_000,
        expireAfterMs: 60_000,
        errorAfterMs: { afterMs: 60_000, code: 'x', message: 'x' },
      }),
    });
    const a = await connected(server);
    const b = await connected(server);
    expect(await timeouts.pending()).toBeGreaterThanOrEqual(6);

    a.c.rt.close();
    await a.s.closed;
    await a.c.socketClosed;
    expect(await timeouts.pending()).toBeLessThanOrEqual(3 + 1); // b's three, and the fake's HTTP server's connection check

    await server.close();
    await b.s.closed;
    await b.c.socketClosed;
    await sleep(10);
    expect(await timeouts.pending()).toBe(0);
    timeouts.stop();
  });
});

describe('FakeRealtimeServer: session.update faults', () => {
  test("sessionUpdate 'reject': every session.update gets a server_error and the session stays unconfigured", async () => {
    const server = await startServer({ faults: (i) => (i === 0 ? { sessionUpdate: 'reject' } : undefined) });
    const { c, s } = await connected(server);
    c.rt.send({ type: 'session.update', session: { type: 'realtime', instructions: 'You are Ada.' } });
    const err = await c.untilError();
    expect(err.error).toMatchObject({ type: 'server_error', code: 'server_error', param: null });
    c.rt.send({ type: 'session.update', session: { type: 'realtime', instructions: 'You are Ada.' } });
    await c.untilError(undefined, 1);
    expect(s.sessionConfig).toBeUndefined();
    expect(c.events.some((e) => e.type === 'session.updated')).toBe(false);
    expect(s.clientEvents.filter((e) => e.type === 'session.update')).toHaveLength(2);

    const next = await connected(server); // only the first connection was planned to fail
    next.c.rt.send({ type: 'session.update', session: { type: 'realtime', instructions: 'You are Ada.' } });
    await next.c.until('session.updated');
  });

  test("sessionUpdate 'ignore': session.update is received but never answered; other events still are", async () => {
    const server = await startServer({ faults: () => ({ sessionUpdate: 'ignore' }) });
    const { c, s } = await connected(server);
    c.rt.send({ type: 'session.update', session: { type: 'realtime', instructions: 'You are Ada.' } });
    await s.waitFor((e) => e.type === 'session.update');
    c.rt.send({ type: 'response.create' });
    await c.until('response.done');
    expect(c.events.some((e) => e.type === 'session.updated')).toBe(false);
    expect(c.errors).toEqual([]);
    expect(s.sessionConfig).toBeUndefined();
  });
});

describe('FakeRealtimeServer: long runs', () => {
  test('pruneClosedSessions forgets closed sessions; the counters keep counting; nextSession still hands out open ones', async () => {
    const server = await startServer();
    const a = await connected(server);
    const b = await connected(server);
    const c = connect(server);
    await c.until('session.created');
    expect(server.sessionsAccepted).toBe(3);
    expect(a.s.isOpen).toBe(true);

    a.c.rt.close();
    await a.s.closed;
    await a.c.socketClosed;
    expect(a.s.isOpen).toBe(false);
    expect(server.sessionsClosed).toBe(1);
    expect(server.pruneClosedSessions()).toBe(1);
    expect(server.sessions).toEqual([b.s, expect.anything()]);
    const third = await server.nextSession(); // a and b were handed out; c was not
    expect(third).toBe(server.sessions[1]);
    expect(third).not.toBe(b.s);
    expect(server.sessionsAccepted).toBe(3);
  });
});
