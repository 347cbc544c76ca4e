/**
 * Tests for the Twilio call simulator, against a tiny http + ws server written here (no product code):
 * it checks signatures with the twilio SDK, answers hand-written TwiML, and records/sends raw messages.
 */
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import twilio from 'twilio';
import WebSocket, { WebSocketServer } from 'ws';
import { loadFixture } from './fixtures';
import { DialError, parseStreamTwiml, signTwilioRequest, SimulatedCall } from './twilioSimulator';

const TOKEN = 'test-auth-token-0123456789abcdef';
const PUBLIC_URL = 'https://agent.example.test';
const STREAM_URL = 'wss://agent.example.test/media-stream';
const TWIML =
  '<?xml version="1.0" encoding="UTF-8"?><Response><Connect>' +
  `<Stream url="${STREAM_URL}"><Parameter name="token" value="tok-123"/><Parameter name="note" value="a &amp; b &lt;c&gt;"/></Stream>` +
  '</Connect></Response>';

interface Received {
  at: number;
  isBinary: boolean;
  msg: any;
}

class ServerConn {
  readonly messages: Received[] = [];
  readonly closed: Promise<{ code: number; at: number }>;
  constructor(
    readonly ws: WebSocket,
    readonly req: http.IncomingMessage,
  ) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      this.messages.push({ at: performance.now(), isBinary, msg: JSON.parse(data.toString('utf8')) });
    });
    this.closed = new Promise((resolve) => ws.once('close', (code: number) => resolve({ code, at: performance.now() })));
  }
  events(event: string): Received[] {
    return this.messages.filter((m) => m.msg.event === event);
  }
  send(o: unknown): void {
    this.ws.send(JSON.stringify(o));
  }
  /** Sends audio as several media messages of uneven sizes (Twilio accepts any size). */
  sendAudio(streamSid: string, audio: Uint8Array, sizes = [1000, 333, 2048]): void {
    let o = 0;
    let i = 0;
    while (o < audio.length) {
      const n = Math.min(sizes[i++ % sizes.length]!, audio.length - o);
      this.send({ event: 'media', streamSid, media: { payload: Buffer.from(audio.subarray(o, o + n)).toString('base64') } });
      o += n;
    }
  }
}

/** A stand-in for the product: webhook + media-stream endpoint, validating like the product should. */
class TinyServer {
  readonly webhooks: Array<{ path: string; params: Record<string, string>; signature: string; valid: boolean; contentType: string }> = [];
  readonly upgrades: Array<{ url: string; signature: string | undefined; valid: boolean; rawHeaders: string[] }> = [];
  readonly conns: ServerConn[] = [];
  private readonly server: http.Server;
  private readonly wss = new WebSocketServer({ noServer: true });
  private connWaiters: Array<(c: ServerConn) => void> = [];
  url = '';
  /** What the webhook answers (tests may change it; reset after each test). */
  answer = { twiml: TWIML, contentType: 'text/xml' };

  constructor() {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const params = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
        const signature = String(req.headers['x-twilio-signature'] ?? '');
        const valid = twilio.validateRequest(TOKEN, signature, `${PUBLIC_URL}${req.url}`, params);
        this.webhooks.push({ path: req.url ?? '', params, signature, valid, contentType: String(req.headers['content-type']) });
        if (req.method !== 'POST' || req.url !== '/incoming-call') {
          res.writeHead(404).end('not found');
        } else if (!valid) {
          res.writeHead(403, { 'content-type': 'text/plain' }).end('Twilio Request Validation Failed.');
        } else {
          res.writeHead(200, { 'content-type': this.answer.contentType }).end(this.answer.twiml);
        }
      });
    });
    this.server.on('upgrade', (req: http.IncomingMessage, socket, head) => {
      const sig = req.headers['x-twilio-signature'];
      const signature = typeof sig === 'string' ? sig : undefined;
      const valid = signature !== undefined && twilio.validateRequest(TOKEN, signature, STREAM_URL, {});
      this.upgrades.push({ url: req.url ?? '', signature, valid, rawHeaders: req.rawHeaders });
      if (!valid || req.url !== '/media-stream') {
        socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        const conn = new ServerConn(ws, req);
        this.conns.push(conn);
        const waiters = this.connWaiters;
        this.connWaiters = [];
        for (const w of waiters) w(conn);
      });
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The server side of the call most recently dialled (waits for its socket if needed). */
  connFor(call: SimulatedCall): Promise<ServerConn> {
    const find = (): ServerConn | undefined =>
      this.conns.find((c) => c.messages.some((m) => m.msg.event === 'start' && m.msg.streamSid === call.streamSid));
    return until(() => find() !== undefined, 2000, 'server connection').then(() => find()!);
  }

  async stop(): Promise<void> {
    for (const c of this.conns) c.ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function until(pred: () => boolean, timeoutMs: number, label: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const deadline = performance.now() + timeoutMs;
    const poll = (): void => {
      if (pred()) return resolve();
      if (performance.now() > deadline) return reject(new Error(`timed out waiting for ${label}`));
      setTimeout(poll, 5);
    };
    poll();
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Deterministic non-silent μ-law test audio. */
function pattern(bytes: number, seed = 1): Uint8Array {
  const out = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) out[i] = (i * 7 + seed * 13) % 255; // never 0xFF
  return out;
}

function payloadBytes(m: Received): Uint8Array {
  return new Uint8Array(Buffer.from(m.msg.media.payload, 'base64'));
}

let server: TinyServer;
const calls: SimulatedCall[] = [];

async function dial(extra: Partial<Parameters<typeof SimulatedCall.dial>[0]> = {}): Promise<SimulatedCall> {
  const call = await SimulatedCall.dial({ serverUrl: server.url, publicUrl: PUBLIC_URL, authToken: TOKEN, ...extra });
  calls.push(call);
  return call;
}

beforeAll(async () => {
  server = new TinyServer();
  await server.start();
});

afterEach(() => {
  for (const c of calls.splice(0)) c.close();
  server.answer = { twiml: TWIML, contentType: 'text/xml' };
});

afterAll(async () => {
  await server.stop();
});

describe('dialling', () => {
  test('POSTs the webhook form-encoded and signed over the public URL', async () => {
    const call = await dial({ callSid: 'CA0123', accountSid: 'AC4567', from: '+15550001111', to: '+15550002222' });
    const hook = server.webhooks.at(-1)!;
    expect(hook.valid).toBe(true);
    expect(hook.path).toBe('/incoming-call');
    expect(hook.contentType).toBe('application/x-www-form-urlencoded');
    expect(hook.params).toMatchObject({
      CallSid: 'CA0123',
      AccountSid: 'AC4567',
      From: '+15550001111',
      To: '+15550002222',
      CallStatus: 'ringing',
      Direction: 'inbound',
      ApiVersion: '2010-04-01',
    });
    expect(call.callSid).toBe('CA0123');
    // Independent check of the algorithm: HMAC-SHA1 over url + sorted key+value, base64.
    const data = Object.keys(hook.params)
      .sort()
      .reduce((acc, k) => acc + k + hook.params[k], `${PUBLIC_URL}/incoming-call`);
    expect(hook.signature).toBe(createHmac('sha1', TOKEN).update(data, 'utf8').digest('base64'));
  });

  test('defaults: random Twilio-looking sids', async () => {
    const call = await dial();
    expect(call.callSid).toMatch(/^CA[0-9a-f]{32}$/);
    expect(call.streamSid).toMatch(/^MZ[0-9a-f]{32}$/);
    expect(server.webhooks.at(-1)!.params['AccountSid']).toMatch(/^AC[0-9a-f]{32}$/);
  });

  test('reads the TwiML and signs the upgrade over the exact wss URL, with a lowercase header', async () => {
    const call = await dial();
    expect(call.twiml).toBe(TWIML);
    expect(call.streamUrl).toBe(STREAM_URL);
    expect(call.customParameters).toEqual({ token: 'tok-123', note: 'a & b <c>' });
    expect(call.connectedUrl).toBe(`${server.url.replace('http', 'ws')}/media-stream`);
    const up = server.upgrades.at(-1)!;
    expect(up.valid).toBe(true);
    expect(up.url).toBe('/media-stream');
    expect(up.rawHeaders).toContain('x-twilio-signature');
    expect(up.signature).toBe(signTwilioRequest(TOKEN, STREAM_URL, {}));
  });

  test('sends connected, then start with the custom parameters', async () => {
    const call = await dial();
    const conn = await server.connFor(call);
    const [connected, start] = conn.messages;
    expect(connected!.msg).toEqual({ event: 'connected', protocol: 'Call', version: '1.0.0' });
    expect(start!.msg).toEqual({
      event: 'start',
      sequenceNumber: '1',
      streamSid: call.streamSid,
      start: {
        accountSid: server.webhooks.at(-1)!.params['AccountSid'],
        streamSid: call.streamSid,
        callSid: call.callSid,
        tracks: ['inbound'],
        mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
        customParameters: { token: 'tok-123', note: 'a & b <c>' },
      },
    });
    expect(conn.messages.every((m) => !m.isBinary)).toBe(true);
  });

  test('a tampered signature is refused at the webhook', async () => {
    const err = await SimulatedCall.dial({ serverUrl: server.url, publicUrl: PUBLIC_URL, authToken: TOKEN, tamperSignature: true }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DialError);
    expect(err).toMatchObject({ stage: 'webhook', status: 403 });
    expect(server.webhooks.at(-1)!.valid).toBe(false);
  });

  test.each([
    ['unsigned', { signWebSocket: false }],
    ['tampered', { tamperSignature: 'websocket' as const }],
  ])('the upgrade is refused when %s (webhook still valid)', async (_name, extra) => {
    const before = server.upgrades.length;
    const err = await SimulatedCall.dial({ serverUrl: server.url, publicUrl: PUBLIC_URL, authToken: TOKEN, ...extra }).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ stage: 'upgrade', status: 403 });
    expect(server.webhooks.at(-1)!.valid).toBe(true);
    expect(server.upgrades.length).toBe(before + 1);
    expect(server.upgrades.at(-1)!.valid).toBe(false);
  });

  test('a relative <Stream url> resolves against the public URL, and that absolute URL is signed', async () => {
    server.answer.twiml = '<Response><Connect><Stream url="/media-stream"/></Connect></Response>';
    const call = await dial();
    expect(call.streamUrl).toBe(STREAM_URL);
    expect(call.customParameters).toEqual({});
    expect(server.upgrades.at(-1)!.valid).toBe(true);
  });

  test.each([
    ['a ws:// stream URL', '<Response><Connect><Stream url="ws://agent.example.test/media-stream"/></Connect></Response>', 'text/xml', /wss/],
    ['a query string', `<Response><Connect><Stream url="${STREAM_URL}?token=1"/></Connect></Response>`, 'text/xml', /query/],
    ['another host', '<Response><Connect><Stream url="wss://elsewhere.test/media-stream"/></Connect></Response>', 'text/xml', /host/],
    ['no <Connect>', '<Response><Say>hello</Say></Response>', 'text/xml', /Connect/],
    ['a non-XML content type', TWIML, 'application/json', /Content-Type/],
  ])('TwiML with %s is refused before any socket is opened', async (_name, twiml, contentType, why) => {
    server.answer = { twiml, contentType };
    const before = server.upgrades.length;
    const err = await dial().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DialError);
    expect(err).toMatchObject({ stage: 'twiml', status: 200, body: twiml });
    expect((err as Error).message).toMatch(why);
    expect(server.upgrades.length).toBe(before);
  });

  test('a webhook that is not 200 rejects with status and body', async () => {
    const err = await SimulatedCall.dial({
      serverUrl: server.url,
      publicUrl: PUBLIC_URL,
      authToken: TOKEN,
      webhookPath: '/nope',
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ stage: 'webhook', status: 404, body: 'not found' });
  });
});

describe('parseStreamTwiml', () => {
  test('any attribute order, single quotes, self-closing Stream, action on Connect', () => {
    const p = parseStreamTwiml(
      `<Response><Connect action="https://x.test/after"><Stream name='s1' url='wss://x.test/media-stream' /></Connect></Response>`,
    );
    expect(p.streamUrl).toBe('wss://x.test/media-stream');
    expect(p.customParameters).toEqual({});
    expect(p.streamAttributes['name']).toBe('s1');
    expect(p.connectAttributes['action']).toBe('https://x.test/after');
  });

  test('rejects TwiML without Connect/Stream', () => {
    expect(() => parseStreamTwiml('<Response><Say>hi</Say></Response>')).toThrow(/Connect/);
    expect(() => parseStreamTwiml('<Response><Connect></Connect></Response>')).toThrow(/Stream/);
    expect(() => parseStreamTwiml('<Other/>')).toThrow(/Response/);
  });
});

describe('caller side', () => {
  test('one 160-byte silence frame every 20 ms, drift-free, with Twilio numbering', async () => {
    const call = await dial();
    const conn = await server.connFor(call);
    await until(() => conn.events('media').length >= 51, 3000, '51 media frames');
    const media = conn.events('media').slice(0, 51);
    media.forEach((m, i) => {
      expect(Object.keys(m.msg)).toEqual(['event', 'sequenceNumber', 'streamSid', 'media']);
      expect(m.msg.streamSid).toBe(call.streamSid);
      expect(m.msg.sequenceNumber).toBe(String(i + 2)); // start was "1"
      expect(m.msg.media).toMatchObject({ track: 'inbound', chunk: String(i + 1), timestamp: String(i * 20) });
      const bytes = payloadBytes(m);
      expect(bytes.length).toBe(160);
      expect(bytes.every((b) => b === 0xff)).toBe(true);
    });
    // 50 frame periods take ~1 s; generous bounds, and no frame drifts far from its slot.
    const span = media[50]!.at - media[0]!.at;
    expect(span).toBeGreaterThan(900);
    expect(span).toBeLessThan(1300);
    const worst = Math.max(...media.map((m, i) => Math.abs(m.at - media[0]!.at - i * 20)));
    expect(worst).toBeLessThan(200);
  });

  test('say() sends the speech from the next frame, padded to a whole frame; back-to-back says start on fresh frames', async () => {
    const call = await dial();
    const conn = await server.connFor(call);
    await until(() => conn.events('media').length >= 3, 1000, 'first frames');
    const hello = loadFixture('caller-hello.ulaw').subarray(0, 500);
    const second = pattern(200, 5);
    const t = performance.now();
    call.say(hello);
    call.say(second);
    expect(call.speechQueuedMs()).toBe(700 / 8);
    await until(() => call.saidEndedAt.length === 2, 1000, 'speech sent');
    await until(() => conn.events('media').some((m) => m.msg.media.chunk === String(call.framesSent)), 1000, 'last frame at server');
    const frames = conn.events('media').map(payloadBytes);
    const first = frames.findIndex((f) => f.some((b) => b !== 0xff));
    expect(first).toBeGreaterThan(0);
    expect(frames.slice(0, first).every((f) => f.every((b) => b === 0xff))).toBe(true);
    // 500 bytes -> 4 frames (last one padded with 0xFF), then 200 bytes -> 2 frames.
    const sent = Buffer.concat(frames.slice(first, first + 6));
    expect(sent.subarray(0, 500)).toEqual(Buffer.from(hello));
    expect(sent.subarray(500, 640).every((b) => b === 0xff)).toBe(true);
    expect(sent.subarray(640, 840)).toEqual(Buffer.from(second));
    expect(sent.subarray(840, 960).every((b) => b === 0xff)).toBe(true);
    expect(call.saidAt).toHaveLength(2);
    expect(call.saidAt[0]!).toBeGreaterThanOrEqual(t);
    expect(call.saidAt[0]! - t).toBeLessThan(100);
    expect(call.saidAt[1]! - call.saidAt[0]!).toBeGreaterThan(60); // 4 frames later, ~80 ms
    expect(call.speechQueuedMs()).toBe(0);
  });

  test('pressDigit sends a dtmf event in the message sequence', async () => {
    const call = await dial();
    const conn = await server.connFor(call);
    call.pressDigit('5');
    await until(() => conn.events('dtmf').length === 1, 1000, 'dtmf');
    const i = conn.messages.findIndex((m) => m.msg.event === 'dtmf');
    const d = conn.messages[i]!.msg;
    expect(d).toEqual({ event: 'dtmf', streamSid: call.streamSid, sequenceNumber: d.sequenceNumber, dtmf: { track: 'inbound_track', digit: '5' } });
    expect(Number(d.sequenceNumber)).toBe(Number(conn.messages[i - 1]!.msg.sequenceNumber) + 1);
    expect(() => call.pressDigit('x')).toThrow();
  });

  test('setSendMedia(false) leaves a gap: chunk continues, timestamp jumps', async () => {
    const call = await dial();
    const conn = await server.connFor(call);
    await until(() => conn.events('media').length >= 3, 1000, 'frames');
    call.setSendMedia(false);
    await sleep(30); // let any frame already in flight arrive
    const before = conn.events('media').length;
    await sleep(200);
    expect(conn.events('media').length).toBe(before);
    call.setSendMedia(true);
    await until(() => conn.events('media').length >= before + 2, 1000, 'frames after the gap');
    const media = conn.events('media');
    const a = media[before - 1]!.msg.media;
    const b = media[before]!.msg.media;
    expect(Number(b.chunk)).toBe(Number(a.chunk) + 1);
    expect(Number(b.timestamp) - Number(a.timestamp)).toBeGreaterThanOrEqual(200);
    expect(Number(b.timestamp) % 20).toBe(0);
  });
});

describe('agent side (what the caller hears)', () => {
  test('plays received audio in real time; heard equals what was sent; marks echo only after their audio played', async () => {
    const call = await dial();
    const conn = await server.connFor(call);
    const first = loadFixture('caller-interrupt.ulaw').subarray(0, 2400); // 300 ms
    const second = pattern(803); // ~100 ms, not a multiple of 160
    const sentAt = performance.now();
    conn.sendAudio(call.streamSid, first);
    conn.send({ event: 'mark', streamSid: call.streamSid, mark: { name: 'm1' } });
    conn.sendAudio(call.streamSid, second);
    conn.send({ event: 'mark', streamSid: call.streamSid, mark: { name: 'm2' } });

    await until(() => call.bufferedMs() > 0, 1000, 'audio buffered');
    expect(call.bufferedMs()).toBeGreaterThan(300);
    expect(call.marksEchoed).toEqual([]);

    await until(() => conn.events('mark').length === 2, 3000, 'both marks echoed');
    const echoes = conn.events('mark');
    expect(echoes.map((e) => e.msg.mark.name)).toEqual(['m1', 'm2']);
    for (const e of echoes) {
      expect(Object.keys(e.msg)).toEqual(['event', 'sequenceNumber', 'streamSid', 'mark']);
      expect(e.msg.streamSid).toBe(call.streamSid);
    }
    // Not before the audio ahead of each mark could have played.
    expect(echoes[0]!.at - sentAt).toBeGreaterThanOrEqual(299);
    expect(echoes[1]!.at - sentAt).toBeGreaterThanOrEqual(399);
    const started = call.playbackStartedAt[0]!;
    expect(call.markEchoes[0]!.at - started).toBeGreaterThanOrEqual(299);
    expect(call.markEchoes[1]!.at - started).toBeGreaterThanOrEqual(399);
    expect(call.markEchoes.every((m) => !m.cleared)).toBe(true);
    // When playout passed each mark, on the ideal clock: where its bytes end, even mid-frame; echoed at or after.
    expect(call.markEchoes.map((m) => m.passedAt! - started)).toEqual([expect.closeTo(first.length / 8, 6), expect.closeTo((first.length + second.length) / 8, 6)]);
    for (const m of call.markEchoes) expect(m.at).toBeGreaterThanOrEqual(m.passedAt!);

    const expected = new Uint8Array(first.length + second.length);
    expected.set(first);
    expected.set(second, first.length);
    expect(Buffer.from(call.heard())).toEqual(Buffer.from(expected));
    expect(call.playedMs()).toBe(expected.length / 8);
    expect(call.bufferedMs()).toBe(0);
    expect(call.playbackStartedAt).toHaveLength(1);
    await until(() => call.playbackStoppedAt.length === 1, 500, 'playback stopped');
    const duration = call.playbackStoppedAt[0]! - started;
    expect(duration).toBeGreaterThan(390);
    expect(duration).toBeLessThan(800);
    expect(call.violations).toEqual([]);
  });

  test('waitForPlayedMs tracks playout continuously', async () => {
    const call = await dial();
    const conn = await server.connFor(call);
    conn.sendAudio(call.streamSid, pattern(8000)); // 1 s
    await call.waitForPlayedMs(250, 2000);
    const played = call.playedMs();
    expect(played).toBeGreaterThanOrEqual(250);
    expect(played).toBeLessThan(400);
    // Read a moment after `played`, so at most a few ms less (playout goes on meanwhile).
    const buffered = call.bufferedMs();
    expect(buffered).toBeLessThanOrEqual(1000 - played + 0.5);
    expect(buffered).toBeGreaterThan(1000 - played - 20);
    const heardBytes = call.heard().length; // a moment later, so maybe a little more
    expect(heardBytes).toBeGreaterThanOrEqual(Math.floor(played * 8));
    expect(heardBytes).toBeLessThan(played * 8 + 400);
  });

  test('a mark with nothing buffered is echoed at once', async () => {
    const call = await dial();
    const conn = await server.connFor(call);
    const t = performance.now();
    conn.send({ event: 'mark', streamSid: call.streamSid, mark: { name: 'idle' } });
    await until(() => conn.events('mark').length === 1, 1000, 'mark echo');
    expect(conn.events('mark')[0]!.at - t).toBeLessThan(100);
    expect(call.playbackStartedAt).toEqual([]);
    expect(call.playedMs()).toBe(0);
  });

  test('a clear handled while the caller runs behind its clock cuts where the clock says, not where playout stalled', async () => {
    const call = await dial();
    const conn = await server.connFor(call);
    conn.sendAudio(call.streamSid, pattern(16000, 3)); // 2 s
    await call.waitForPlayedMs(200, 2000);
    // Busy for 100 ms, then the clear arrives before the ticks that fell due meanwhile could run.
    const busyUntil = performance.now() + 100;
    while (performance.now() < busyUntil);
    const clear = Buffer.from(JSON.stringify({ event: 'clear', streamSid: call.streamSid }));
    (call as unknown as { onServerMessage(data: Buffer, isBinary: boolean): void }).onServerMessage(clear, false);
    expect(call.playbackStoppedAt).toEqual([call.clears[0]]);
    expect(call.heard().length / 8).toBeGreaterThanOrEqual(300);
  });

  test('clear empties the buffer at once, echoes pending marks immediately, and playback resumes with new audio', async () => {
    const call = await dial();
    const conn = await server.connFor(call);
    const long = pattern(16000, 3); // 2 s
    conn.sendAudio(call.streamSid, long.subarray(0, 12000));
    conn.send({ event: 'mark', streamSid: call.streamSid, mark: { name: 'a' } });
    conn.sendAudio(call.streamSid, long.subarray(12000));
    conn.send({ event: 'mark', streamSid: call.streamSid, mark: { name: 'b' } });
    await call.waitForPlayedMs(200, 2000);

    const clearAt = performance.now();
    conn.send({ event: 'clear', streamSid: call.streamSid });
    await until(() => conn.events('mark').length === 2, 1000, 'pending marks echoed on clear');
    const echoes = conn.events('mark');
    expect(echoes.map((e) => e.msg.mark.name)).toEqual(['a', 'b']);
    expect(echoes[1]!.at - clearAt).toBeLessThan(100); // not 1.8 s later
    expect(call.markEchoes.map((m) => m.cleared)).toEqual([true, true]);
    expect(call.clears).toHaveLength(1);
    expect(call.bufferedMs()).toBe(0);
    expect(call.playbackStoppedAt).toHaveLength(1);
    expect(call.playbackStoppedAt[0]).toBe(call.clears[0]);

    // The caller heard a prefix of the audio, cut at the clear (to the sample, not the frame).
    const heard = call.heard();
    expect(heard.length).toBeGreaterThanOrEqual(1600);
    expect(heard.length).toBeLessThan(16000 / 4);
    expect(Buffer.from(heard)).toEqual(Buffer.from(long.subarray(0, heard.length)));
    await sleep(60);
    expect(call.heard().length).toBe(heard.length);

    // New audio after the clear plays from where the buffer was emptied.
    const after = pattern(800, 9);
    conn.sendAudio(call.streamSid, after);
    conn.send({ event: 'mark', streamSid: call.streamSid, mark: { name: 'c' } });
    await until(() => conn.events('mark').length === 3, 2000, 'mark c');
    expect(call.markEchoes[2]).toMatchObject({ name: 'c', cleared: false });
    expect(Buffer.from(call.heard().subarray(heard.length))).toEqual(Buffer.from(after));
    expect(call.playbackStartedAt).toHaveLength(2);
    expect(call.violations).toEqual([]);
  });

  test('records protocol violations and drops the offending messages', async () => {
    const call = await dial();
    const conn = await server.connFor(call);
    const sid = call.streamSid;
    const good = Buffer.from(pattern(160)).toString('base64');
    conn.ws.send(Buffer.from(pattern(160)), { binary: true });
    conn.ws.send('not json');
    conn.send({ event: 'media', streamSid: 'MZwrong', media: { payload: good } });
    conn.send({ event: 'media', streamSid: sid, media: { payload: good, track: 'outbound' } });
    conn.send({ event: 'media', streamSid: sid, sequenceNumber: '1', media: { payload: good } });
    conn.send({ event: 'media', streamSid: sid, media: { payload: 'not base64!' } });
    conn.send({ event: 'media', streamSid: sid, media: { payload: Buffer.from('RIFF....WAVEfmt ').toString('base64') } });
    conn.send({ event: 'mark', streamSid: sid });
    conn.send({ event: 'mark', streamSid: sid, mark: {} });
    conn.send({ event: 'clear', streamSid: sid, clear: {} });
    conn.send({ event: 'stop', streamSid: sid });
    conn.send({ streamSid: sid });
    conn.send([1, 2]);
    await until(() => call.received.length === 13, 1000, 'all messages received');
    expect(call.violations).toHaveLength(13);
    expect(call.violations[0]).toMatch(/^31950 .*binary/);
    expect(call.violations[1]).toMatch(/^31951 .*not JSON/);
    expect(call.violations[2]).toMatch(/wrong streamSid/);
    expect(call.violations[3]).toMatch(/extra field\(s\) track/);
    expect(call.violations[4]).toMatch(/extra field\(s\) sequenceNumber/);
    expect(call.violations[5]).toMatch(/base64/);
    expect(call.violations[6]).toMatch(/WAV header/);
    expect(call.violations[7]).toMatch(/missing field\(s\) mark/);
    expect(call.violations[8]).toMatch(/missing field\(s\) name/);
    expect(call.violations[9]).toMatch(/extra field\(s\) clear/);
    expect(call.violations[10]).toMatch(/unknown event "stop"/);
    expect(call.received[0]!.message).toEqual({ binary: true, length: 160 });
    expect(call.received[1]!.message).toBe('not json');
    await sleep(50);
    expect(call.playbackStartedAt).toEqual([]); // nothing invalid was played
    expect(call.clears).toEqual([]);
    expect(conn.events('mark')).toEqual([]);
  });
});

describe('ending the call', () => {
  test('hangUp sends stop, closes the socket and stops the clocks', async () => {
    const call = await dial();
    const conn = await server.connFor(call);
    conn.sendAudio(call.streamSid, pattern(4000));
    await call.waitForPlayedMs(60, 1000);
    await call.hangUp();
    const stop = conn.events('stop');
    expect(stop).toHaveLength(1);
    const last = conn.messages.at(-1)!;
    expect(last.msg).toEqual({
      event: 'stop',
      sequenceNumber: String(Number(conn.messages.at(-2)!.msg.sequenceNumber) + 1),
      streamSid: call.streamSid,
      stop: { accountSid: server.webhooks.at(-1)!.params['AccountSid'], callSid: call.callSid },
    });
    const closed = await conn.closed;
    expect(closed.code).toBe(1000);
    // The caller is gone: playback stopped, nothing more is heard or sent.
    expect(call.playbackStoppedAt).toHaveLength(1);
    const heard = call.heard().length;
    const frames = call.framesSent;
    await sleep(60);
    expect(call.heard().length).toBe(heard);
    expect(call.framesSent).toBe(frames);
    const byServer = await Promise.race([call.closedByServer.then(() => 'server'), sleep(20).then(() => 'no')]);
    expect(byServer).toBe('no');
  });

  test('closedByServer resolves with code and reason when the server closes', async () => {
    const call = await dial();
    const conn = await server.connFor(call);
    conn.sendAudio(call.streamSid, pattern(4000));
    await call.waitForPlayedMs(40, 1000);
    const t = performance.now();
    conn.ws.close(1008, 'bad token');
    const closed = await call.closedByServer;
    expect(closed.code).toBe(1008);
    expect(closed.reason).toBe('bad token');
    expect(closed.at).toBeGreaterThanOrEqual(t);
    expect(call.playbackStoppedAt).toHaveLength(1); // buffered audio is dropped with the stream
    expect(call.bufferedMs()).toBe(0);
    const frames = call.framesSent;
    await sleep(60);
    expect(call.framesSent).toBe(frames);
    await call.hangUp(); // harmless after the server closed
  });
});

describe('fixtures', () => {
  test.each(['caller-hello.ulaw', 'caller-interrupt.ulaw'])('%s is small, speech-like μ-law', (name) => {
    const audio = loadFixture(name);
    expect(audio).toBeInstanceOf(Uint8Array);
    expect(audio.length).toBeGreaterThan(8000); // > 1 s
    expect(audio.length).toBeLessThan(40 * 1024);
    // Not silence: most bytes are far from the μ-law zero codes (0xFF / 0x7F).
    const quiet = audio.filter((b) => (b & 0x7f) >= 0x70).length;
    expect(quiet / audio.length).toBeLessThan(0.5);
  });
});
