/**
 * A Twilio phone call, simulated from Twilio's side of the wire.
 *
 * It plays the part Twilio plays in a bidirectional Media Stream (`<Connect><Stream>`):
 *  1. POSTs the voice webhook, form-encoded and signed (`X-Twilio-Signature`) against the public URL;
 *  2. reads the TwiML answer and opens the `<Stream url>` websocket, signing the upgrade
 *     (`x-twilio-signature` over the exact `wss://` URL, params `{}`);
 *  3. sends `connected`, `start`, then one 20 ms μ-law `media` frame per tick on a drift-free clock
 *     (queued caller speech, else silence), plus `dtmf` and `stop`;
 *  4. plays what the server sends in real time, the way Twilio's outbound buffer does: `media` is
 *     appended to a FIFO that drains at 8 bytes/ms, `mark` is echoed when playout passes it, `clear`
 *     empties the FIFO and echoes all pending marks at once;
 *  5. checks every server message against Twilio's rules (JSON text frames, exact shapes, right
 *     streamSid, base64 payload) and records violations like Twilio's errors 31950/31951;
 *  6. if asked, sits a network delay away: every message, ping and pong takes that long each way.
 *
 * It knows exactly what the caller heard and when, so tests can check barge-in and truncation against
 * the truth. It speaks only the wire protocol and imports nothing from src/, so it cannot share the
 * product's bugs. Wire facts: docs/protocols.md.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import twilio from 'twilio';
import WebSocket from 'ws';

/** μ-law silence. */
const SILENCE = 0xff;
/** μ-law at 8 kHz: 8 bytes per millisecond. */
const BYTES_PER_MS = 8;
const FRAME_MS = 20;
const FRAME_BYTES = FRAME_MS * BYTES_PER_MS; // 160

export interface DialOptions {
  /** Where the product really listens, e.g. 'http://127.0.0.1:3000'. */
  serverUrl: string;
  /** The product's configured PUBLIC_URL, e.g. 'https://agent.example.test'. Twilio signs against this. */
  publicUrl: string;
  /** Twilio auth token used to sign. */
  authToken: string;
  callSid?: string;
  accountSid?: string;
  from?: string;
  to?: string;
  /** Default '/incoming-call'. */
  webhookPath?: string;
  /** Default true: send `x-twilio-signature` on the websocket upgrade. */
  signWebSocket?: boolean;
  /**
   * Send a wrong signature. `true` (or 'both') tampers the webhook and the upgrade; 'webhook' or
   * 'websocket' tampers only that one (so a test can get past the webhook and probe the upgrade).
   */
  tamperSignature?: boolean | 'both' | 'webhook' | 'websocket';
  /** Extra form parameters to add to (or override in) the webhook POST. */
  extraParams?: Record<string, string>;
  /** Time between the webhook's answer and the stream connecting, as Twilio takes to set the call up. Default 0. */
  answerDelayMs?: number;
  /** Where the stream connects, when a load balancer sends it elsewhere than the webhook. Default `serverUrl`. */
  streamServerUrl?: string;
  /**
   * How long each websocket message (and ping, and pong) takes to cross the network, each way, as between Twilio
   * and a server far from it. Default 0.
   */
  networkDelayMs?: number;
}

/** Why `SimulatedCall.dial` failed: which step, and what the server answered. */
export class DialError extends Error {
  constructor(
    message: string,
    readonly stage: 'webhook' | 'twiml' | 'upgrade',
    readonly status?: number,
    readonly body?: string,
  ) {
    super(message);
    this.name = 'DialError';
  }
}

/**
 * Twilio's request signature: base64(HMAC-SHA1(authToken, url + each key+value sorted by key)),
 * computed by the installed twilio SDK. Use params `{}` for the websocket upgrade.
 */
export function signTwilioRequest(authToken: string, url: string, params: Record<string, string>): string {
  return twilio.getExpectedTwilioSignature(authToken, url, params);
}

/** What the TwiML answer to the webhook asked for. */
export interface ParsedStreamTwiml {
  streamUrl: string;
  customParameters: Record<string, string>;
  streamAttributes: Record<string, string>;
  connectAttributes: Record<string, string>;
}

/**
 * Minimal TwiML reader for `<Response><Connect><Stream url="…"><Parameter name value/>…`.
 * Throws if the document is not a Response containing a Connect/Stream.
 */
export function parseStreamTwiml(twiml: string): ParsedStreamTwiml {
  const body = twiml.replace(/<\?xml[^>]*\?>/, '').trim();
  if (!/^<Response[\s>/]/.test(body)) throw new Error('TwiML does not start with <Response>');
  const connect = /<Connect(\s[^>]*)?>([\s\S]*?)<\/Connect>/.exec(body);
  if (!connect) throw new Error('TwiML has no <Connect>…</Connect>');
  const connectAttributes = parseAttributes(connect[1] ?? '');
  const inner = connect[2] ?? '';
  const stream = /<Stream(\s[^>]*?)?(\/>|>([\s\S]*?)<\/Stream>)/.exec(inner);
  if (!stream) throw new Error('TwiML <Connect> has no <Stream>');
  const streamAttributes = parseAttributes(stream[1] ?? '');
  const streamUrl = streamAttributes['url'];
  if (!streamUrl) throw new Error('TwiML <Stream> has no url attribute');
  const customParameters: Record<string, string> = {};
  const paramRe = /<Parameter(\s[^>]*?)\/?>/g;
  let m: RegExpExecArray | null;
  while ((m = paramRe.exec(stream[3] ?? '')) !== null) {
    const attrs = parseAttributes(m[1] ?? '');
    if (attrs['name'] === undefined) throw new Error('TwiML <Parameter> without a name');
    customParameters[attrs['name']] = attrs['value'] ?? '';
  }
  return { streamUrl, customParameters, streamAttributes, connectAttributes };
}

function parseAttributes(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /([A-Za-z_:][-A-Za-z0-9_:.]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) out[m[1]!] = decodeXmlEntities(m[2] ?? m[3] ?? '');
  return out;
}

function decodeXmlEntities(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);/g, (_all, e: string) => {
    switch (e) {
      case 'amp': return '&';
      case 'lt': return '<';
      case 'gt': return '>';
      case 'quot': return '"';
      case 'apos': return "'";
      default:
        return String.fromCodePoint(e.startsWith('#x') ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
    }
  });
}

function randomSid(prefix: string): string {
  return prefix + randomBytes(16).toString('hex');
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const c of chunks) n += c.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

interface HttpResult {
  status: number;
  contentType: string;
  body: string;
}

function postForm(url: string, form: string, headers: Record<string, string>): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const lib = u.protocol === 'https:' ? https : http;
    const req = lib.request(
      u,
      {
        method: 'POST',
        agent: false, // a fresh connection, closed afterwards: no keep-alive handles left behind
        headers: {
          ...headers,
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': String(Buffer.byteLength(form)),
          connection: 'close',
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type'] ?? ''),
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(form);
  });
}

/**
 * A drift-free periodic clock: tick n is due at t0 + n*period. Each timeout is computed from that
 * schedule (not from the previous callback), and ticks that came due while the event loop was busy
 * are all run on the next wake-up, so the average rate is exact.
 */
class DriftFreeClock {
  private n = 0;
  private t0 = 0;
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    private readonly periodMs: number,
    private readonly onTick: (n: number, dueAt: number) => void,
  ) {}

  start(t0: number): void {
    this.t0 = t0;
    this.n = 0;
    this.running = true;
    this.schedule();
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  get startedAt(): number {
    return this.t0;
  }

  /**
   * Runs every tick already due. A busy event loop can hand over a message before an overdue timer: playout must
   * be where its clock says before the message acts on it (a clear cut against a stale playout undercounts what
   * was heard).
   */
  catchUp(): void {
    if (!this.running || this.t0 + this.n * this.periodMs > performance.now()) return;
    clearTimeout(this.timer);
    this.fire();
  }

  private schedule(): void {
    if (!this.running) return;
    const due = this.t0 + this.n * this.periodMs;
    const delay = Math.max(0, due - performance.now());
    this.timer = setTimeout(this.fire, delay);
    this.timer.unref();
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    // libuv timers have 1 ms resolution and may fire a fraction of a millisecond early; such a
    // wake-up runs nothing and reschedules, so no tick ever runs before its due time.
    const now = performance.now();
    while (this.running && this.t0 + this.n * this.periodMs <= now) {
      const n = this.n++;
      this.onTick(n, this.t0 + n * this.periodMs);
    }
    this.schedule();
  };
}

interface PendingMark {
  name: string;
  /** Absolute byte position in the outbound stream; echoed once playout has completed up to here. */
  position: number;
}

interface InFlightFrame {
  bytes: Uint8Array;
  /** Clock time at which this frame started playing. */
  startedAt: number;
}

interface QueuedSpeech {
  audio: Uint8Array;
  offset: number;
  index: number;
}

const DTMF_DIGITS = /^[0-9*#A-Da-dwW]$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export class SimulatedCall {
  readonly callSid: string;
  readonly accountSid: string;
  readonly streamSid: string;
  readonly from: string;
  readonly to: string;
  /** The TwiML the webhook answered. */
  readonly twiml: string;
  /** `<Parameter>`s from the TwiML, sent as `start.customParameters`. */
  readonly customParameters: Record<string, string>;
  /** The `wss://` URL from the TwiML (what Twilio signs); the socket really goes to `connectedUrl`. */
  readonly streamUrl: string;
  /** The URL the websocket actually connected to (the stream URL's path on `serverUrl`). */
  readonly connectedUrl: string;

  // ---- caller side ----
  /** performance.now() when each say()'s audio started being sent (its first frame). */
  readonly saidAt: number[] = [];
  /** performance.now() when each say()'s last frame was sent. */
  readonly saidEndedAt: number[] = [];
  /** Number of `media` frames sent. */
  framesSent = 0;

  // ---- agent side (what the caller hears) ----
  /** When playout went from idle to playing (the tick at which the first frame started). */
  readonly playbackStartedAt: number[] = [];
  /** When playout went from playing to idle: the last byte played (drained), a `clear`, or the end of the call. */
  readonly playbackStoppedAt: number[] = [];
  /** When each `clear` was received. */
  readonly clears: number[] = [];
  /** Every message from the server: parsed JSON, the raw text if not JSON, or `{binary, length}`. */
  readonly received: Array<{ at: number; message: any }> = [];
  /** Names of the marks echoed back, in order (including those echoed because of a `clear`). */
  readonly marksEchoed: string[] = [];
  /**
   * Every mark echo, with its time and whether a `clear` caused it (its audio was NOT played); for a played mark,
   * when playout passed it on the ideal clock (the echo goes out at the next tick, later if this process lags).
   */
  readonly markEchoes: Array<{ name: string; at: number; cleared: boolean; passedAt?: number }> = [];
  /** Protocol violations by the server (Twilio would report 31950/31951). Tests assert it stays empty. */
  readonly violations: string[] = [];

  /** Resolves when the server closes the socket (or the connection drops), not when we close it. */
  readonly closedByServer: Promise<{ code: number; reason: string; at: number }>;

  private readonly ws: WebSocket;
  private readonly networkDelayMs: number;
  private readonly clock: DriftFreeClock;
  private seq = 0;
  private chunk = 0;
  private sendMedia = true;
  private ended = false;
  private closingByUs = false;
  private resolveClosedByServer!: (v: { code: number; reason: string; at: number }) => void;
  private readonly socketClosed: Promise<void>;

  // caller speech queue
  private readonly speech: QueuedSpeech[] = [];
  private sayCount = 0;

  // outbound playout (absolute byte positions in the stream the server sent)
  private readonly fifo: Uint8Array[] = [];
  private fifoHead = 0; // read offset into fifo[0]
  private writePos = 0; // bytes accepted into the buffer (after a clear: reset to the played position)
  private readPos = 0; // bytes taken out of the FIFO into the in-flight frame
  private playedPos = 0; // bytes whose playout has completed
  private inFlight: InFlightFrame | undefined;
  /** When the audio now at the head of an idle, empty buffer arrived (playout cannot start before). */
  private idleAudioArrivedAt = 0;
  private readonly heardChunks: Uint8Array[] = [];
  private pendingMarks: PendingMark[] = [];

  private readonly opened: Promise<void>;

  private constructor(init: {
    connectedUrl: string;
    headers: Record<string, string>;
    callSid: string;
    accountSid: string;
    streamSid: string;
    from: string;
    to: string;
    twiml: string;
    customParameters: Record<string, string>;
    streamUrl: string;
    networkDelayMs: number;
  }) {
    this.callSid = init.callSid;
    this.accountSid = init.accountSid;
    this.streamSid = init.streamSid;
    this.from = init.from;
    this.to = init.to;
    this.twiml = init.twiml;
    this.customParameters = init.customParameters;
    this.streamUrl = init.streamUrl;
    this.connectedUrl = init.connectedUrl;
    this.networkDelayMs = init.networkDelayMs;
    this.clock = new DriftFreeClock(FRAME_MS, (n, dueAt) => this.tick(n, dueAt));
    this.closedByServer = new Promise((resolve) => (this.resolveClosedByServer = resolve));

    // Every listener is attached here, synchronously, so nothing the server sends right after the
    // handshake can be missed.
    const delay = init.networkDelayMs;
    const ws = new WebSocket(init.connectedUrl, { headers: init.headers, perMessageDeflate: false, handshakeTimeout: 5000, autoPong: delay === 0 });
    this.ws = ws;
    // A ping reaches us a network delay after it left, and its pong takes as long to get back.
    if (delay > 0) ws.on('ping', (data) => setTimeout(() => ws.readyState === WebSocket.OPEN && ws.pong(data), 2 * delay));
    let isOpen = false;
    this.opened = new Promise((resolve, reject) => {
      ws.once('open', () => {
        isOpen = true;
        this.begin(); // `connected` and `start` go out before anything else can happen
        resolve();
      });
      ws.on('error', (err: Error) => {
        if (isOpen) return; // after the handshake a 'close' always follows; that is what matters
        this.closingByUs = true;
        ws.terminate();
        const status = /Unexpected server response: (\d+)/.exec(err.message);
        reject(new DialError(`websocket upgrade to ${init.connectedUrl} failed: ${err.message}`, 'upgrade', status ? Number(status[1]) : undefined));
      });
    });
    this.socketClosed = new Promise((resolve) => {
      ws.once('close', (code: number, reason: Buffer) => {
        const at = performance.now();
        if (!this.closingByUs) this.resolveClosedByServer({ code, reason: reason.toString('utf8'), at });
        this.endStream(at);
        resolve();
      });
    });
    ws.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
      if (delay === 0) this.onServerMessage(data, isBinary);
      else setTimeout(() => this.onServerMessage(data, isBinary), delay);
    });
  }

  /** Places a call: webhook → TwiML → signed websocket → `connected` + `start` → media clock. */
  static async dial(opts: DialOptions): Promise<SimulatedCall> {
    const callSid = opts.callSid ?? randomSid('CA');
    const accountSid = opts.accountSid ?? randomSid('AC');
    const from = opts.from ?? '+15555550100';
    const to = opts.to ?? '+15555550199';
    const webhookPath = opts.webhookPath ?? '/incoming-call';
    const publicUrl = opts.publicUrl.replace(/\/+$/, '');
    const serverUrl = opts.serverUrl.replace(/\/+$/, '');
    const tamper = opts.tamperSignature === true ? 'both' : opts.tamperSignature || undefined;
    const tamperWebhook = tamper === 'both' || tamper === 'webhook';
    const tamperWs = tamper === 'both' || tamper === 'websocket';

    // 1) the voice webhook, as Twilio posts it
    const params: Record<string, string> = {
      AccountSid: accountSid,
      ApiVersion: '2010-04-01',
      CallSid: callSid,
      CallStatus: 'ringing',
      Called: to,
      CalledCity: '',
      CalledCountry: 'US',
      CalledState: '',
      CalledZip: '',
      Caller: from,
      CallerCity: '',
      CallerCountry: 'US',
      CallerState: '',
      CallerZip: '',
      Direction: 'inbound',
      From: from,
      FromCity: '',
      FromCountry: 'US',
      FromState: '',
      FromZip: '',
      To: to,
      ToCity: '',
      ToCountry: 'US',
      ToState: '',
      ToZip: '',
      ...(opts.extraParams ?? {}),
    };
    const webhookUrl = `${publicUrl}${webhookPath}`;
    const webhookSig = tamperWebhook
      ? tamperedSignature(opts.authToken, webhookUrl, params)
      : signTwilioRequest(opts.authToken, webhookUrl, params);
    const res = await postForm(`${serverUrl}${webhookPath}`, new URLSearchParams(params).toString(), {
      'x-twilio-signature': webhookSig,
      'user-agent': 'TwilioProxy/1.1',
      accept: '*/*',
    });
    if (res.status !== 200) {
      throw new DialError(`webhook answered ${res.status}: ${res.body.slice(0, 500)}`, 'webhook', res.status, res.body);
    }
    if (!/xml|html/i.test(res.contentType)) {
      // Twilio error 12300: Invalid Content-Type
      throw new DialError(`webhook answered Content-Type '${res.contentType}', not XML (Twilio 12300)`, 'twiml', res.status, res.body);
    }

    // 2) the TwiML
    let parsed: ParsedStreamTwiml;
    try {
      parsed = parseStreamTwiml(res.body);
    } catch (e) {
      throw new DialError(`bad TwiML (${(e as Error).message}): ${res.body.slice(0, 500)}`, 'twiml', res.status, res.body);
    }
    // An absolute url is kept byte-exact (that is what gets signed); a relative one is resolved
    // against the public webhook URL.
    const streamUrl = /^[a-z][a-z0-9+.-]*:/i.test(parsed.streamUrl)
      ? parsed.streamUrl
      : new URL(parsed.streamUrl, publicUrl.replace(/^http/, 'ws') + webhookPath).toString();
    const su = new URL(streamUrl);
    if (su.protocol !== 'wss:') {
      throw new DialError(`<Stream url> must be wss:// (Twilio 31923), got ${parsed.streamUrl}`, 'twiml', res.status, res.body);
    }
    if (su.search) {
      throw new DialError(`<Stream url> must not have a query string, got ${parsed.streamUrl}`, 'twiml', res.status, res.body);
    }
    if (su.host !== new URL(publicUrl).host) {
      throw new DialError(
        `<Stream url> host ${su.host} is not the public host ${new URL(publicUrl).host}: Twilio would connect elsewhere`,
        'twiml',
        res.status,
        res.body,
      );
    }
    const connectedUrl = `${(opts.streamServerUrl ?? serverUrl).replace(/\/+$/, '').replace(/^http/, 'ws')}${su.pathname}`;

    if (opts.answerDelayMs) await new Promise((resolve) => setTimeout(resolve, opts.answerDelayMs));
    // 3) the websocket upgrade, signed over the exact wss URL with params {} (then 4, on open)
    const headers: Record<string, string> = {};
    if (opts.signWebSocket !== false) {
      headers['x-twilio-signature'] = tamperWs
        ? tamperedSignature(opts.authToken, streamUrl, {})
        : signTwilioRequest(opts.authToken, streamUrl, {});
    }
    const call = new SimulatedCall({
      connectedUrl,
      headers,
      callSid,
      accountSid,
      streamSid: randomSid('MZ'),
      from,
      to,
      twiml: res.body,
      customParameters: parsed.customParameters,
      streamUrl,
      networkDelayMs: opts.networkDelayMs ?? 0,
    });
    await call.opened;

    // 4) `connected` + `start` were sent on open; the media clock is running
    return call;
  }

  // ------------------------------------------------------------------ caller side

  /** Queues caller speech (raw μ-law 8 kHz) to start with the next frame not already taken by earlier speech. */
  say(mulaw: Uint8Array): void {
    if (mulaw.length === 0) return;
    this.speech.push({ audio: mulaw, offset: 0, index: this.sayCount++ });
  }

  /** Milliseconds of caller speech still queued. */
  speechQueuedMs(): number {
    let n = 0;
    for (const s of this.speech) n += s.audio.length - s.offset;
    return n / BYTES_PER_MS;
  }

  /** Sends a `dtmf` event for one key press. */
  pressDigit(digit: string): void {
    if (!DTMF_DIGITS.test(digit)) throw new Error(`not a DTMF digit: ${digit}`);
    this.send({ event: 'dtmf', streamSid: this.streamSid, sequenceNumber: this.nextSeq(), dtmf: { track: 'inbound_track', digit } });
  }

  /**
   * Pauses (false) or resumes (true) sending media frames, like a gap in Twilio's inbound stream.
   * The clock keeps running, so after a pause `timestamp` jumps ahead while `chunk` continues by one.
   * Queued caller speech is held (not lost) while paused.
   */
  setSendMedia(on: boolean): void {
    this.sendMedia = on;
  }

  // ------------------------------------------------------------------ agent side

  /** Everything the caller actually heard, concatenated (μ-law), including the part of the current frame already played. */
  readonly heard = (): Uint8Array => {
    const partial = this.inFlightPlayedBytes(performance.now());
    if (partial === 0 || !this.inFlight) return concat(this.heardChunks);
    return concat([...this.heardChunks, this.inFlight.bytes.subarray(0, partial)]);
  };

  /** Milliseconds of agent audio the caller has actually heard so far. */
  playedMs(): number {
    return (this.playedPos + this.inFlightPlayedBytes(performance.now())) / BYTES_PER_MS;
  }

  /** Milliseconds of agent audio received but not played yet. */
  bufferedMs(): number {
    return this.writePos / BYTES_PER_MS - this.playedMs();
  }

  /** True while Twilio's outbound buffer is playing audio. */
  isPlaying(): boolean {
    return this.inFlight !== undefined;
  }

  /** The messages received from the server with this `event`. */
  receivedEvents(event: string): any[] {
    return this.received.filter((r) => r.message && r.message.event === event).map((r) => r.message);
  }

  waitFor(predicate: () => boolean, timeoutMs = 5000, label = 'condition'): Promise<void> {
    return new Promise((resolve, reject) => {
      const deadline = performance.now() + timeoutMs;
      const poll = (): void => {
        let ok = false;
        try {
          ok = predicate();
        } catch (e) {
          reject(e);
          return;
        }
        if (ok) return resolve();
        if (performance.now() >= deadline) {
          reject(
            new Error(
              `SimulatedCall.waitFor timed out after ${timeoutMs} ms: ${label} ` +
                `(played ${this.playedMs().toFixed(0)} ms, buffered ${this.bufferedMs().toFixed(0)} ms, ` +
                `received ${this.received.length} messages, violations: ${JSON.stringify(this.violations)})`,
            ),
          );
          return;
        }
        setTimeout(poll, 5).unref();
      };
      poll();
    });
  }

  waitForPlayedMs(ms: number, timeoutMs = ms + 5000): Promise<void> {
    return this.waitFor(() => this.playedMs() >= ms, timeoutMs, `playedMs >= ${ms}`);
  }

  // ------------------------------------------------------------------ ending

  /** The caller hangs up: `stop`, then the socket closes. Resolves when the socket is closed. */
  async hangUp(): Promise<void> {
    if (this.ws.readyState === WebSocket.OPEN) {
      this.send({
        event: 'stop',
        sequenceNumber: this.nextSeq(),
        streamSid: this.streamSid,
        stop: { accountSid: this.accountSid, callSid: this.callSid },
      });
    }
    this.endStream(performance.now());
    // The `stop` is still on its way.
    if (this.networkDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.networkDelayMs));
    if (this.ws.readyState === WebSocket.CLOSED) return;
    this.closingByUs = true;
    if (this.ws.readyState !== WebSocket.CLOSING) this.ws.close(1000);
    // A server that never answers the close handshake must not hang the test.
    const t = setTimeout(() => this.ws.terminate(), 2000);
    t.unref();
    await this.socketClosed;
    clearTimeout(t);
  }

  /** Stops everything at once (test teardown): no `stop` message, socket destroyed, no handles left. */
  close(): void {
    this.endStream(performance.now());
    if (this.ws.readyState !== WebSocket.CLOSED) {
      this.closingByUs = true;
      this.ws.terminate();
    }
  }

  // ------------------------------------------------------------------ internals

  private begin(): void {
    this.send({ event: 'connected', protocol: 'Call', version: '1.0.0' });
    this.send({
      event: 'start',
      sequenceNumber: this.nextSeq(),
      streamSid: this.streamSid,
      start: {
        accountSid: this.accountSid,
        streamSid: this.streamSid,
        callSid: this.callSid,
        tracks: ['inbound'],
        mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
        customParameters: { ...this.customParameters },
      },
    });
    if (this.ws.readyState === WebSocket.OPEN) this.clock.start(performance.now());
  }

  private nextSeq(): string {
    return String(++this.seq);
  }

  private send(msg: object): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    const text = JSON.stringify(msg);
    if (this.networkDelayMs === 0) return this.ws.send(text);
    setTimeout(() => this.ws.readyState === WebSocket.OPEN && this.ws.send(text), this.networkDelayMs);
  }

  private endStream(at: number): void {
    if (this.ended) return;
    this.ended = true;
    this.clock.stop();
    // The call is over: whatever was still buffered is never heard.
    this.dropBuffered(at);
  }

  /** Playback stops at `at`: the frame playing is cut there, and everything queued behind it is gone. */
  private dropBuffered(at: number): void {
    if (this.inFlight) {
      const f = this.inFlight;
      this.finishInFlight(this.inFlightPlayedBytes(at));
      this.playbackStoppedAt.push(Math.min(at, f.startedAt + f.bytes.length / BYTES_PER_MS));
    }
    this.fifo.length = 0;
    this.fifoHead = 0;
    this.writePos = this.readPos = this.playedPos;
  }

  private tick(n: number, dueAt: number): void {
    this.playoutTick(dueAt);
    this.callerTick(n);
  }

  private callerTick(n: number): void {
    if (!this.sendMedia || this.ws.readyState !== WebSocket.OPEN) return;
    const frame = new Uint8Array(FRAME_BYTES).fill(SILENCE);
    const s = this.speech[0];
    let started: QueuedSpeech | undefined;
    let finished = false;
    if (s) {
      if (s.offset === 0) started = s;
      const take = Math.min(FRAME_BYTES, s.audio.length - s.offset);
      frame.set(s.audio.subarray(s.offset, s.offset + take));
      s.offset += take;
      if (s.offset >= s.audio.length) {
        this.speech.shift();
        finished = true;
      }
    }
    this.chunk++;
    this.framesSent++;
    this.send({
      event: 'media',
      sequenceNumber: this.nextSeq(),
      streamSid: this.streamSid,
      media: {
        track: 'inbound',
        chunk: String(this.chunk),
        timestamp: String(n * FRAME_MS),
        payload: Buffer.from(frame).toString('base64'),
      },
    });
    const now = performance.now();
    if (started) this.saidAt.push(now);
    if (finished) this.saidEndedAt.push(now);
  }

  /** Bytes of the in-flight frame already played at time `at`. */
  private inFlightPlayedBytes(at: number): number {
    const f = this.inFlight;
    if (!f) return 0;
    return Math.max(0, Math.min(f.bytes.length, Math.floor((at - f.startedAt) * BYTES_PER_MS)));
  }

  private finishInFlight(bytes: number): void {
    const f = this.inFlight;
    if (!f) return;
    if (bytes > 0) this.heardChunks.push(f.bytes.slice(0, bytes));
    this.playedPos += bytes;
    this.inFlight = undefined;
  }

  /**
   * One 20 ms playout step at `dueAt` (the ideal clock): the frame started on the previous tick has
   * finished, marks it passed are echoed, the next frame (up to 160 bytes) starts. Start and stop
   * times are recorded on the ideal clock: a frame starts at its tick, and playout stops when the
   * last byte has played (startedAt + bytes/8).
   */
  private playoutTick(dueAt: number): void {
    const previous = this.inFlight;
    const previousFrom = this.playedPos;
    if (previous) this.finishInFlight(previous.bytes.length);
    this.echoPlayedMarks((position) => (previous ? previous.startedAt + (position - previousFrom) / BYTES_PER_MS : dueAt));
    const canStart = previous !== undefined || this.idleAudioArrivedAt <= dueAt;
    if (this.writePos > this.readPos && canStart) {
      const frame = this.takeFromFifo(FRAME_BYTES);
      this.inFlight = { bytes: frame, startedAt: dueAt };
      if (!previous) this.playbackStartedAt.push(dueAt);
    } else if (previous) {
      this.playbackStoppedAt.push(previous.startedAt + previous.bytes.length / BYTES_PER_MS);
    }
  }

  private takeFromFifo(max: number): Uint8Array {
    const out = new Uint8Array(Math.min(max, this.writePos - this.readPos));
    let o = 0;
    while (o < out.length) {
      const head = this.fifo[0]!;
      const take = Math.min(out.length - o, head.length - this.fifoHead);
      out.set(head.subarray(this.fifoHead, this.fifoHead + take), o);
      o += take;
      this.fifoHead += take;
      if (this.fifoHead >= head.length) {
        this.fifo.shift();
        this.fifoHead = 0;
      }
    }
    this.readPos += out.length;
    return out;
  }

  /** Echoes the marks playout has passed; `passedAt` says when it passed a position. */
  private echoPlayedMarks(passedAt: (position: number) => number): void {
    while (this.pendingMarks.length > 0 && this.pendingMarks[0]!.position <= this.playedPos) {
      const mark = this.pendingMarks.shift()!;
      this.echoMark(mark.name, false, passedAt(mark.position));
    }
  }

  private echoMark(name: string, cleared: boolean, passedAt?: number): void {
    this.marksEchoed.push(name);
    this.markEchoes.push({ name, at: performance.now(), cleared, passedAt });
    this.send({ event: 'mark', sequenceNumber: this.nextSeq(), streamSid: this.streamSid, mark: { name } });
  }

  private violation(text: string): void {
    this.violations.push(text);
  }

  private onServerMessage(data: WebSocket.RawData, isBinary: boolean): void {
    this.clock.catchUp();
    const at = performance.now();
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    if (isBinary) {
      this.received.push({ at, message: { binary: true, length: buf.length } });
      this.violation(`31950 Malformed Message: binary websocket frame (${buf.length} bytes); Twilio accepts JSON text frames only`);
      return;
    }
    const text = buf.toString('utf8');
    let msg: any;
    try {
      msg = JSON.parse(text);
    } catch {
      this.received.push({ at, message: text });
      this.violation(`31951 Invalid Message: not JSON: ${text.slice(0, 100)}`);
      return;
    }
    this.received.push({ at, message: msg });
    const problem = this.checkShape(msg);
    if (problem) {
      // Twilio drops a message it cannot accept.
      this.violation(`31951 Invalid Message: ${problem}: ${text.slice(0, 200)}`);
      return;
    }
    if (this.ended) return; // the stream is over; Twilio plays nothing more
    switch (msg.event) {
      case 'media': {
        const bytes = new Uint8Array(Buffer.from(msg.media.payload, 'base64'));
        if (this.inFlight === undefined && this.writePos === this.readPos) this.idleAudioArrivedAt = at;
        this.fifo.push(bytes);
        this.writePos += bytes.length;
        break;
      }
      case 'mark': {
        const nothingBuffered = this.inFlight === undefined && this.writePos === this.readPos;
        if (nothingBuffered) this.echoMark(msg.mark.name, false, at);
        else this.pendingMarks.push({ name: msg.mark.name, position: this.writePos });
        break;
      }
      case 'clear': {
        this.clears.push(at);
        this.dropBuffered(at);
        const pending = this.pendingMarks;
        this.pendingMarks = [];
        for (const m of pending) this.echoMark(m.name, true);
        break;
      }
    }
  }

  /** Returns what is wrong with a server message, or undefined if Twilio would accept it. */
  private checkShape(msg: any): string | undefined {
    if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) return 'not a JSON object';
    const exactKeys = (o: any, keys: string[], where: string): string | undefined => {
      if (o === null || typeof o !== 'object' || Array.isArray(o)) return `${where} is not an object`;
      const have = Object.keys(o).sort();
      const want = [...keys].sort();
      const missing = want.filter((k) => !have.includes(k));
      const extra = have.filter((k) => !want.includes(k));
      if (missing.length || extra.length) {
        return `${where}: ${missing.length ? `missing field(s) ${missing.join(',')}` : ''}${missing.length && extra.length ? '; ' : ''}${extra.length ? `extra field(s) ${extra.join(',')}` : ''}`;
      }
      return undefined;
    };
    let p: string | undefined;
    switch (msg.event) {
      case 'media':
        p = exactKeys(msg, ['event', 'streamSid', 'media'], 'media message') ?? exactKeys(msg.media, ['payload'], 'media.media');
        if (p) return p;
        if (typeof msg.media.payload !== 'string') return 'media.payload is not a string';
        if (msg.media.payload.length === 0) return 'media.payload is empty';
        if (!BASE64.test(msg.media.payload)) return 'media.payload is not valid base64';
        if (Buffer.from(msg.media.payload, 'base64').subarray(0, 4).toString('latin1') === 'RIFF') {
          return 'media.payload starts with a WAV header (must be raw μ-law)';
        }
        break;
      case 'mark':
        p = exactKeys(msg, ['event', 'streamSid', 'mark'], 'mark message') ?? exactKeys(msg.mark, ['name'], 'mark.mark');
        if (p) return p;
        if (typeof msg.mark.name !== 'string' || msg.mark.name.length === 0) return 'mark.name is not a non-empty string';
        break;
      case 'clear':
        p = exactKeys(msg, ['event', 'streamSid'], 'clear message');
        if (p) return p;
        break;
      default:
        return `unknown event ${JSON.stringify(msg.event)}`;
    }
    if (msg.streamSid !== this.streamSid) return `wrong streamSid ${JSON.stringify(msg.streamSid)} (expected ${this.streamSid})`;
    return undefined;
  }
}

function tamperedSignature(authToken: string, url: string, params: Record<string, string>): string {
  // A well-formed signature made with the wrong key.
  return signTwilioRequest(`${authToken}-not-the-token`, url, params);
}
