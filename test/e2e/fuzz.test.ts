/**
 * A hostile or broken peer on /media-stream closes its own stream and nothing else.
 *
 * Two hundred raw websocket connections send over ten thousand malformed frames (seeded, so every run sends
 * the same ones) while one healthy simulated call is in progress:
 *  - phase A, 150 connections that never pass `start` validation: bad or missing upgrade signatures,
 *    non-JSON, JSON that is not an object, binary frames, unknown events, wrong shapes, media/mark/dtmf/stop
 *    before start, invalid base64, prototype-pollution keys, deep nesting, near-limit and oversized frames,
 *    `connected` floods, and `start`s whose token is missing, wrong, reused, expired or for an unknown call;
 *    the fake Realtime server must see no connection at all from these;
 *  - phase B, 50 connections that first do a valid signed webhook and a valid `start` (a model session may
 *    open), then, at once or a little later, a wrong streamSid, invalid base64, garbage, a second start, an
 *    oversized frame or a flood of otherwise valid messages.
 * Each connection follows its first bad frame with 56+ more, so the server also has to ignore the rest of a
 * stream it has decided to close. Expected: every fuzz stream is closed by the server with 1008 (1009 when
 * the first bad frame is over 64 KiB) and a reason, or refused at upgrade (bad signatures only); the healthy
 * caller hears all of its reply at the right pitch and gets an answer afterwards; model sessions of fuzz
 * streams are all closed; activeCalls drains back to the healthy call.
 *
 * Expired tokens: the product's tokens live 60 s on Date.now(); the test mints some, then moves Date.now()
 * 61 s ahead (forward only, for the rest of the file) so they expire without waiting.
 */
import { performance } from 'node:perf_hooks';
import { mulaw } from 'alawmulaw';
import { ACCOUNT_SID, AUTH_TOKEN, PUBLIC_URL, TestAgent } from '../support/agent';
import type { FakeSession } from '../support/fakeRealtime';
import { loadFixture } from '../support/fixtures';
import {
  CONNECTED_MESSAGE,
  mediaMessage,
  mediaStreamWssUrl,
  pool,
  postVoiceWebhook,
  randomSid,
  runRawStream,
  startMessage,
  type RawStream,
  type RawStreamOutcome,
} from '../support/rawMediaStream';
import { dominantFrequency, seededRandom } from '../support/signal';
import { signTwilioRequest, type SimulatedCall } from '../support/twilioSimulator';

const SEED = Number(process.env.FUZZ_SEED ?? 20261125);
const PHASE_A_CONNECTIONS = 150;
const PHASE_B_CONNECTIONS = 50;
/** Frames after the first bad one, per connection (streams closed at the upgrade get none through). */
const MIN_FILLER = 56;
const MAX_FRAME = 64 * 1024;
/** Far more than Twilio's ~50 media + marks a second; the product's limit is a few hundred. */
const FLOOD_MESSAGES = 1500;

const GREETING = { text: 'Welcome, thank you for calling.', toneHz: 660, durationMs: 4000 };
const ANSWER = { text: 'Sure, I can help.', toneHz: 880, durationMs: 1500 };

const WSS_URL = mediaStreamWssUrl(PUBLIC_URL);
const GOOD_SIGNATURE = signTwilioRequest(AUTH_TOKEN, WSS_URL, {});

type Rng = () => number;
const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)]!;
const int = (rng: Rng, lo: number, hi: number): number => lo + Math.floor(rng() * (hi - lo + 1));
const json = (v: unknown): string => JSON.stringify(v);
const randomText = (rng: Rng, n: number): string => {
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(int(rng, 0x20, 0x7e));
  return s;
};
const sidLike = (rng: Rng, prefix: string): string => prefix + Array.from({ length: 32 }, () => pick(rng, [...'0123456789abcdef'])).join('');

// ───────────── malformed frames ─────────────

/** Small malformed frames, any of which must end a stream (before or after start). */
const FILLER_KINDS = {
  notJson: (rng: Rng): string =>
    pick(rng, [
      randomText(rng, int(rng, 1, 200)),
      json(mediaMessage(sidLike(rng, 'MZ'), 3)).slice(0, int(rng, 1, 60)),
      '',
      ' ',
      '{',
      "{'event':'media'}",
      '{"event":"media",}',
      'undefined',
      'NaN',
      '\u0000\u0001\u0002',
      '😀'.repeat(int(rng, 1, 50)),
      '\ud83d', // a lone surrogate (ws sends it as U+FFFD)
    ]),
  jsonNotObject: (rng: Rng): string => pick(rng, ['[]', 'null', '42', '"media"', 'true', '[{"event":"media"}]', '-0', '1e999']),
  binary: (rng: Rng): Buffer =>
    rng() < 0.5
      ? Buffer.from(Array.from({ length: int(rng, 1, 400) }, () => int(rng, 0, 255)))
      : Buffer.from(json(mediaMessage(sidLike(rng, 'MZ'), 3))), // valid JSON, but binary
  unknownEvent: (rng: Rng): string =>
    json({
      event: pick(rng, ['hello', 'Media', 'MEDIA', 'clear', 'transcription', 'media ', '', '__proto__', 'constructor', 'toString', 42, null]),
      sequenceNumber: '3',
      streamSid: sidLike(rng, 'MZ'),
    }),
  wrongShape: (rng: Rng): string => {
    const sid = sidLike(rng, 'MZ');
    return json(
      pick(rng, [
        { event: 'media', sequenceNumber: 3, streamSid: sid, media: { track: 'inbound', chunk: '1', timestamp: '0', payload: '' } },
        { event: 'media', sequenceNumber: '3', streamSid: sid },
        { event: 'media', sequenceNumber: '3', streamSid: sid, media: 'AAAA' },
        { event: 'media', sequenceNumber: '3', streamSid: sid, media: { track: 'inbound', chunk: '1', timestamp: 'soon', payload: 'AAAA' } },
        { event: 'mark', sequenceNumber: '3', streamSid: sid, mark: { name: 7 } },
        { event: 'mark', sequenceNumber: '3', streamSid: sid },
        { event: 'dtmf', sequenceNumber: '3', streamSid: sid, dtmf: { track: 'inbound_track', digit: 'Z' } },
        { event: 'dtmf', sequenceNumber: '3', streamSid: sid, dtmf: { track: 'inbound_track', digit: '12' } },
        { event: 'stop', sequenceNumber: '3', streamSid: sid },
        { event: 'start', sequenceNumber: '1', streamSid: sid },
        { event: 'start', sequenceNumber: '1', streamSid: sid, start: { callSid: 'CA1' } },
        { event: 'connected' },
        { streamSid: sid, media: { payload: 'AAAA' } },
      ]),
    );
  },
  /** Attacker-chosen text that ends up in the close reason: multi-byte, so 120 characters are > 123 bytes. */
  unicodeEvent: (rng: Rng): string =>
    json({ event: pick(rng, ['😀', 'é', '€', '\u0301']).repeat(int(rng, 60, 200)), sequenceNumber: '3', streamSid: sidLike(rng, 'MZ') }),
  invalidBase64: (rng: Rng): string =>
    json(mediaMessage(sidLike(rng, 'MZ'), 3, pick(rng, ['!!!!', 'abc', 'YWJj=', '-_-_', 'AAA=A', '====', ' AAAA', 'AAAA\n', '%%', 'ÿÿÿÿ']))),
  protoPollution: (rng: Rng): string =>
    pick(rng, [
      '{"event":"media","__proto__":{"polluted":"yes"},"streamSid":"MZ1","sequenceNumber":"3"}',
      '{"__proto__":{"event":"start","polluted":"yes"}}',
      '{"event":"start","constructor":{"prototype":{"polluted":"yes"}}}',
      `{"event":"media","sequenceNumber":"3","streamSid":"MZ1","media":{"__proto__":{"payload":"AAAA","polluted":"yes"}}}`,
    ]),
  deepNesting: (rng: Rng): string => {
    const depth = int(rng, 1000, 6000);
    return rng() < 0.5 ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
  },
  /** Messages that are fine on a started stream but not before start. */
  beforeStart: (rng: Rng): string => {
    const sid = sidLike(rng, 'MZ');
    return json(
      pick(rng, [
        mediaMessage(sid, 2),
        { event: 'mark', sequenceNumber: '2', streamSid: sid, mark: { name: 'item_x:40:1' } },
        { event: 'dtmf', sequenceNumber: '2', streamSid: sid, dtmf: { track: 'inbound_track', digit: '5' } },
        { event: 'stop', sequenceNumber: '2', streamSid: sid, stop: { accountSid: ACCOUNT_SID, callSid: sidLike(rng, 'CA') } },
      ]),
    );
  },
  startForgedToken: (rng: Rng): string =>
    json(startMessage({ streamSid: sidLike(rng, 'MZ'), callSid: sidLike(rng, 'CA'), accountSid: ACCOUNT_SID, customParameters: { token: randomText(rng, 32) } })),
} as const;
type FillerKind = keyof typeof FILLER_KINDS;
const FILLER_NAMES = Object.keys(FILLER_KINDS) as FillerKind[];

function filler(rng: Rng, count: number): Array<string | Buffer> {
  return Array.from({ length: count }, () => FILLER_KINDS[pick(rng, FILLER_NAMES)](rng));
}

function nearLimitFrame(rng: Rng): string {
  const pad = MAX_FRAME - 200 - int(rng, 0, 500);
  return json({ event: 'media', sequenceNumber: '3', streamSid: 'MZ1', media: { track: 'inbound', chunk: '1', timestamp: '0', payload: '@'.repeat(pad) } });
}
function oversizedFrame(rng: Rng): string | Buffer {
  const size = MAX_FRAME + int(rng, 1, 4000);
  const text = json({ event: 'media', sequenceNumber: '3', streamSid: 'MZ1', media: { payload: 'A'.repeat(size) } });
  return rng() < 0.8 ? text : Buffer.from(text);
}

// ───────────── scenarios ─────────────

type SignatureFault = 'missing' | 'forged' | 'https-url' | 'garbage' | 'other-path';
type StartFault = 'missing-token' | 'no-custom-parameters' | 'wrong-token' | 'reused-token' | 'expired-token' | 'unknown-call' | 'bad-media-format';

type PhaseA =
  | { phase: 'A'; kind: 'signature'; fault: SignatureFault }
  | { phase: 'A'; kind: 'first-frame'; first: FillerKind | 'near-limit' | 'oversized' }
  | { phase: 'A'; kind: 'connected-flood' }
  | { phase: 'A'; kind: 'start'; fault: StartFault };
type AfterStart = 'wrong-stream-sid' | 'unicode-stream-sid' | 'invalid-base64' | 'not-json' | 'binary' | 'unknown-event' | 'wrong-shape' | 'second-start' | 'oversized' | 'media-flood' | 'mark-flood';
type PhaseB = { phase: 'B'; after: AfterStart; delayMs: number };
type Scenario = (PhaseA | PhaseB) & { index: number; fillerCount: number };

function phaseAScenario(rng: Rng): PhaseA {
  const r = rng();
  if (r < 0.12) return { phase: 'A', kind: 'signature', fault: pick(rng, ['missing', 'forged', 'https-url', 'garbage', 'other-path'] as const) };
  if (r < 0.18) return { phase: 'A', kind: 'connected-flood' };
  if (r < 0.42)
    return {
      phase: 'A',
      kind: 'start',
      fault: pick(rng, ['missing-token', 'no-custom-parameters', 'wrong-token', 'reused-token', 'expired-token', 'unknown-call', 'bad-media-format'] as const),
    };
  return { phase: 'A', kind: 'first-frame', first: pick(rng, [...FILLER_NAMES, 'near-limit', 'oversized'] as const) };
}

function makeScenarios(rng: Rng): Scenario[] {
  const out: Scenario[] = [];
  for (let i = 0; i < PHASE_A_CONNECTIONS; i++) out.push({ ...phaseAScenario(rng), index: out.length, fillerCount: int(rng, MIN_FILLER, MIN_FILLER + 10) });
  // Every kind at least once, whatever the seed.
  const guaranteed: PhaseA[] = [
    ...(['missing', 'forged', 'https-url', 'garbage', 'other-path'] as const).map((fault): PhaseA => ({ phase: 'A', kind: 'signature', fault })),
    ...(['missing-token', 'no-custom-parameters', 'wrong-token', 'reused-token', 'expired-token', 'unknown-call', 'bad-media-format'] as const).map(
      (fault): PhaseA => ({ phase: 'A', kind: 'start', fault }),
    ),
    ...[...FILLER_NAMES, 'near-limit' as const, 'oversized' as const].map((first): PhaseA => ({ phase: 'A', kind: 'first-frame', first })),
    { phase: 'A', kind: 'connected-flood' },
  ];
  guaranteed.forEach((g, i) => (out[i * 5] = { ...g, index: i * 5, fillerCount: out[i * 5]!.fillerCount }));
  const afters: AfterStart[] = ['wrong-stream-sid', 'unicode-stream-sid', 'invalid-base64', 'not-json', 'binary', 'unknown-event', 'wrong-shape', 'second-start', 'oversized', 'media-flood', 'mark-flood'];
  for (let i = 0; i < PHASE_B_CONNECTIONS; i++) {
    out.push({
      phase: 'B',
      after: i < afters.length ? afters[i]! : pick(rng, afters),
      delayMs: rng() < 0.5 ? 0 : int(rng, 50, 400),
      index: out.length,
      fillerCount: int(rng, MIN_FILLER, MIN_FILLER + 10),
    });
  }
  return out;
}

/** The close code the first bad frame of a scenario calls for. */
function expectedCode(s: Scenario): number {
  if (s.phase === 'A' && s.kind === 'first-frame' && s.first === 'oversized') return 1009;
  if (s.phase === 'B' && s.after === 'oversized') return 1009;
  return 1008;
}

interface Result {
  scenario: Scenario;
  outcome: RawStreamOutcome;
  /** Malformed frames sent (flood messages not included). */
  malformedSent: number;
  floodSent: number;
  note?: string;
}

// ───────────── the run ─────────────

let agent: TestAgent;
let healthy: SimulatedCall;
let healthySession: FakeSession;
let dateOffset = 0;
let results: Result[] = [];
let upgradesAfterPhaseA = -1;
let sessionsAfterPhaseA = -1;
let healthyDuringFuzz: { playedMs: number; violations: string[] } | undefined;
let fuzzMs = 0;

const realDateNow = Date.now.bind(Date);

beforeAll(async () => {
  // Installed before the server starts, so its token store reads the shifted clock too.
  jest.spyOn(Date, 'now').mockImplementation(() => realDateNow() + dateOffset);
  agent = await TestAgent.start(
    // No model session opens at the webhook here: the test counts those the streams open, which must be none.
    { MAX_CONCURRENT_CALLS: '10000', AGENT_GREETING: 'Welcome, thank you for calling.', EARLY_MODEL_SESSION: 'false' },
    { reply: (i) => (i === 0 ? { ...GREETING } : { ...ANSWER }) },
  );
  const rng = seededRandom(SEED);
  const scenarios = makeScenarios(rng);

  // Tokens that will have expired by the time they are used.
  const expired: Array<{ callSid: string; params: Record<string, string> }> = [];
  for (const s of scenarios) {
    if (s.phase === 'A' && s.kind === 'start' && s.fault === 'expired-token') {
      const callSid = randomSid('CA');
      const hook = await postVoiceWebhook({ serverUrl: agent.url, publicUrl: PUBLIC_URL, authToken: AUTH_TOKEN, callSid, accountSid: ACCOUNT_SID });
      expired.push({ callSid, params: hook.customParameters ?? {} });
    }
  }
  dateOffset = 61_000;

  healthy = await agent.dial();
  healthySession = await agent.fake.nextSession();
  await healthySession.waitFor((e) => e.type === 'response.create');

  const t0 = performance.now();
  const url = agent.url.replace(/^http/, 'ws') + '/media-stream';
  const run = (s: Scenario): (() => Promise<Result>) => () => runScenario(s, url, expired);

  results = await pool(scenarios.filter((s) => s.phase === 'A').map(run), 20);
  upgradesAfterPhaseA = agent.fake.upgrades.length;
  sessionsAfterPhaseA = agent.fake.sessionsAccepted;
  results.push(...(await pool(scenarios.filter((s) => s.phase === 'B').map(run), 10)));
  fuzzMs = performance.now() - t0;
  healthyDuringFuzz = { playedMs: healthy.playedMs(), violations: [...healthy.violations] };

  const sent = results.reduce((n, r) => n + r.malformedSent, 0);
  const flood = results.reduce((n, r) => n + r.floodSent, 0);
  const codes: Record<string, number> = {};
  for (const r of results) codes[String(r.outcome.httpStatus ? `http ${r.outcome.httpStatus}` : r.outcome.code)] = (codes[String(r.outcome.httpStatus ? `http ${r.outcome.httpStatus}` : r.outcome.code)] ?? 0) + 1;
  if (process.env.FUZZ_DEBUG) {
    const seen = new Map<string, string>();
    for (const r of results) seen.set(describeResult(r).replace(/^#\d+ /, '').replace(/\+\d+ms/, '').split(':')[0] + ' ' + (r.scenario.phase === 'A' && r.scenario.kind !== 'first-frame' ? (r.scenario as { fault?: string }).fault ?? '' : ''), describeResult(r));
    console.log([...seen.values()].join('\n'));
  }
  console.log(
    `fuzz: seed ${SEED}, ${results.length} connections, ${sent} malformed frames + ${flood} flood messages in ${Math.round(fuzzMs)} ms; ` +
      `closes ${JSON.stringify(codes)}; healthy call heard ${Math.round(healthyDuringFuzz.playedMs)} ms meanwhile; model upgrades ${agent.fake.upgrades.length} (1 healthy), sessions ${agent.fake.sessionsAccepted}`,
  );
}, 60_000);

afterAll(async () => {
  await agent?.stop();
  jest.restoreAllMocks();
});

async function runScenario(s: Scenario, url: string, expired: Array<{ callSid: string; params: Record<string, string> }>): Promise<Result> {
  // Each connection has its own generator, so its frames do not depend on how the connections interleave.
  const rng = seededRandom((SEED ^ Math.imul(s.index + 1, 0x9e3779b1)) >>> 0);
  const fill = filler(rng, s.fillerCount);
  const streamSid = randomSid('MZ');
  const callSid = randomSid('CA');
  let headers: Record<string, string> = { 'x-twilio-signature': GOOD_SIGNATURE };
  let first: Array<string | Buffer> = [];
  let flood: string[] = [];
  let prefix: string[] = [CONNECTED_MESSAGE];
  let needsToken = false;
  let startParams: (p: Record<string, string>) => Record<string, string> | undefined = (p) => p;
  let note: string | undefined;

  if (s.phase === 'A') {
    switch (s.kind) {
      case 'signature':
        if (s.fault === 'missing') headers = {};
        else if (s.fault === 'forged') headers = { 'x-twilio-signature': signTwilioRequest(`${AUTH_TOKEN}x`, WSS_URL, {}) };
        else if (s.fault === 'https-url') headers = { 'x-twilio-signature': signTwilioRequest(AUTH_TOKEN, WSS_URL.replace('wss:', 'https:'), {}) };
        else if (s.fault === 'garbage') headers = { 'x-twilio-signature': randomText(rng, 28) };
        else headers = { 'x-twilio-signature': signTwilioRequest(AUTH_TOKEN, `${WSS_URL}/other`, {}) };
        first = [json(startMessage({ streamSid, callSid, accountSid: ACCOUNT_SID, customParameters: { token: 'x' } }))];
        break;
      case 'first-frame':
        first = [s.first === 'near-limit' ? nearLimitFrame(rng) : s.first === 'oversized' ? oversizedFrame(rng) : FILLER_KINDS[s.first](rng)];
        break;
      case 'connected-flood':
        flood = Array.from({ length: FLOOD_MESSAGES }, () => CONNECTED_MESSAGE);
        break;
      case 'start': {
        const start = (id: string, params: Record<string, string> | undefined): string => {
          const m = startMessage({ streamSid, callSid: id, accountSid: ACCOUNT_SID, customParameters: params ?? {} });
          if (params === undefined) delete (m.start as Record<string, unknown>).customParameters;
          return json(m);
        };
        switch (s.fault) {
          case 'unknown-call':
            first = [start(callSid, { token: randomText(rng, 32) })];
            break;
          case 'reused-token':
            first = [start(healthy.callSid, { ...healthy.customParameters })];
            break;
          case 'expired-token': {
            const e = expired.shift()!;
            first = [start(e.callSid, e.params)];
            break;
          }
          default:
            needsToken = true;
            startParams = (p) =>
              s.fault === 'missing-token'
                ? Object.fromEntries(Object.entries(p).filter(([k]) => k !== 'token'))
                : s.fault === 'no-custom-parameters'
                  ? undefined
                  : s.fault === 'wrong-token'
                    ? { ...p, token: p.token!.slice(0, -1) + (p.token!.endsWith('A') ? 'B' : 'A') }
                    : p;
        }
        break;
      }
    }
  } else {
    needsToken = true;
  }

  let token: Record<string, string> | undefined;
  if (needsToken) {
    const hook = await postVoiceWebhook({ serverUrl: agent.url, publicUrl: PUBLIC_URL, authToken: AUTH_TOKEN, callSid, accountSid: ACCOUNT_SID });
    token = hook.customParameters;
    if (hook.status !== 200 || !token?.token) note = `webhook answered ${hook.status} without a token`;
  }
  if (s.phase === 'A' && s.kind === 'start' && needsToken && token) {
    const params = startParams(token);
    const m = startMessage({ streamSid, callSid, accountSid: ACCOUNT_SID, customParameters: params ?? {} });
    if (params === undefined) delete (m.start as Record<string, unknown>).customParameters;
    if (s.fault === 'bad-media-format') (m.start as { mediaFormat: unknown }).mediaFormat = { encoding: 'audio/x-alaw', sampleRate: 8000, channels: 1 };
    first = [json(m)];
  }

  let delayMs = 0;
  if (s.phase === 'B') {
    prefix = [CONNECTED_MESSAGE, json(startMessage({ streamSid, callSid, accountSid: ACCOUNT_SID, customParameters: token ?? {} })), json(mediaMessage(streamSid, 2))];
    delayMs = s.delayMs;
    const other = randomSid('MZ');
    switch (s.after) {
      case 'wrong-stream-sid':
        first = [
          json(
            pick(rng, [
              mediaMessage(other, 3),
              { event: 'mark', sequenceNumber: '3', streamSid: other, mark: { name: 'x' } },
              { event: 'dtmf', sequenceNumber: '3', streamSid: other, dtmf: { track: 'inbound_track', digit: '1' } },
              { event: 'stop', sequenceNumber: '3', streamSid: other, stop: { accountSid: ACCOUNT_SID, callSid } },
            ]),
          ),
        ];
        break;
      case 'unicode-stream-sid':
        first = [json(mediaMessage('€'.repeat(int(rng, 60, 200)), 3))];
        break;
      case 'invalid-base64':
        first = [json(mediaMessage(streamSid, 3, '!!not base64!!'))];
        break;
      case 'not-json':
        first = [FILLER_KINDS.notJson(rng)];
        break;
      case 'binary':
        first = [Buffer.from(json(mediaMessage(streamSid, 3)))];
        break;
      case 'unknown-event':
        first = [json({ event: 'transcription', sequenceNumber: '3', streamSid })];
        break;
      case 'wrong-shape':
        first = [json({ event: 'media', sequenceNumber: '3', streamSid, media: { payload: 'AAAA' } })];
        break;
      case 'second-start':
        first = [json(startMessage({ streamSid, callSid, accountSid: ACCOUNT_SID, customParameters: token ?? {} }))];
        break;
      case 'oversized':
        first = [oversizedFrame(rng)];
        break;
      case 'media-flood':
        flood = Array.from({ length: FLOOD_MESSAGES }, (_, i) => json(mediaMessage(streamSid, i + 3)));
        break;
      case 'mark-flood':
        flood = Array.from({ length: FLOOD_MESSAGES }, (_, i) => json({ event: 'mark', sequenceNumber: String(i + 3), streamSid, mark: { name: `nope:${i}` } }));
        break;
    }
  }

  let malformedSent = 0;
  let floodSent = 0;
  const outcome = await runRawStream(url, headers, async (stream: RawStream) => {
    for (const f of prefix) stream.send(f);
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
    for (const f of flood) if (stream.send(f)) floodSent++;
    for (const f of [...first, ...fill]) if (stream.send(f)) malformedSent++;
  });
  return { scenario: s, outcome, malformedSent, floodSent, note };
}

function describeResult(r: Result): string {
  const s = r.scenario;
  const what = s.phase === 'B' ? `B/${s.after}${s.delayMs ? `+${s.delayMs}ms` : ''}` : s.kind === 'signature' ? `A/signature:${s.fault}` : s.kind === 'start' ? `A/start:${s.fault}` : s.kind === 'first-frame' ? `A/${s.first}` : 'A/connected-flood';
  const o = r.outcome;
  return `#${s.index} ${what}: ${o.httpStatus ? `HTTP ${o.httpStatus}` : `${o.endedBy} ${o.code} '${o.reason}'`}${o.error ? ` (${o.error})` : ''}${r.note ? ` [${r.note}]` : ''}`;
}

// ───────────── the assertions ─────────────

describe('fuzzing /media-stream while a healthy call is in progress', () => {
  it('sent at least 10,000 malformed frames over 200 connections, every kind included', () => {
    expect(results).toHaveLength(PHASE_A_CONNECTIONS + PHASE_B_CONNECTIONS);
    expect(results.filter((r) => !r.outcome.opened && r.outcome.httpStatus === undefined).map(describeResult)).toEqual([]);
    expect(results.reduce((n, r) => n + r.malformedSent, 0)).toBeGreaterThanOrEqual(10_000);
    expect(results.filter((r) => r.note).map(describeResult)).toEqual([]);
    const label = (sc: Scenario): string =>
      sc.phase === 'B' ? `B:${sc.after}` : sc.kind === 'signature' || sc.kind === 'start' ? `${sc.kind}:${sc.fault}` : sc.kind === 'first-frame' ? sc.first : sc.kind;
    const seen = new Set(results.map((r) => label(r.scenario)));
    const kinds = [
      ...FILLER_NAMES,
      'near-limit',
      'oversized',
      'connected-flood',
      ...['missing', 'forged', 'https-url', 'garbage', 'other-path'].map((f) => `signature:${f}`),
      ...['missing-token', 'no-custom-parameters', 'wrong-token', 'reused-token', 'expired-token', 'unknown-call', 'bad-media-format'].map((f) => `start:${f}`),
      ...['wrong-stream-sid', 'unicode-stream-sid', 'invalid-base64', 'not-json', 'binary', 'unknown-event', 'wrong-shape', 'second-start', 'oversized', 'media-flood', 'mark-flood'].map(
        (a) => `B:${a}`,
      ),
    ];
    expect(kinds.filter((k) => !seen.has(k))).toEqual([]);
  });

  it('closed every fuzz stream from the server side with 1008 (1009 when oversized), or refused a bad signature at upgrade', () => {
    const wrong = results.filter((r) => {
      const o = r.outcome;
      const s = r.scenario;
      if (o.httpStatus !== undefined) return !(s.phase === 'A' && s.kind === 'signature' && o.httpStatus >= 400 && o.httpStatus < 500);
      return o.endedBy !== 'server' || o.code !== expectedCode(s);
    });
    expect(wrong.map(describeResult)).toEqual([]);
  });

  it('gave every close a reason', () => {
    const silent = results.filter((r) => r.outcome.httpStatus === undefined && !r.outcome.reason);
    expect(silent.map(describeResult)).toEqual([]);
  });

  it('opened no model connection for a stream that never passed start validation', () => {
    expect(upgradesAfterPhaseA).toBe(1); // the healthy call's
    expect(sessionsAfterPhaseA).toBe(1);
    // Phase B streams passed start: at most one model connection each (no reconnects for a closed stream).
    expect(agent.fake.upgrades.length).toBeLessThanOrEqual(1 + PHASE_B_CONNECTIONS);
  });

  it('left nothing polluted', () => {
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((Object.prototype as unknown as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('kept the healthy call: it heard the whole reply at the right pitch and still gets answers', async () => {
    expect(healthyDuringFuzz?.violations).toEqual([]);
    await healthy.waitForPlayedMs(GREETING.durationMs - 50, 15_000);
    const greeting = mulaw.decode(healthy.heard().subarray(0, (GREETING.durationMs - 100) * 8));
    expect(dominantFrequency(greeting, 8000)).toBeCloseTo(GREETING.toneHz, -1);

    // After the fuzz, the same call carries on: the caller speaks and hears the answer.
    const playedBefore = healthy.playedMs();
    healthy.say(loadFixture('caller-hello.ulaw'));
    await healthy.waitForPlayedMs(playedBefore + ANSWER.durationMs - 100, 15_000);
    const all = healthy.heard();
    const answer = mulaw.decode(all.subarray(all.length - (ANSWER.durationMs - 200) * 8));
    expect(dominantFrequency(answer, 8000)).toBeCloseTo(ANSWER.toneHz, -1);
    expect(healthy.violations).toEqual([]);
    expect(healthySession.isOpen).toBe(true);
  }, 40_000);

  it('drains: activeCalls is back to the healthy call, and every model session of a fuzz stream is closed', async () => {
    await healthy.waitFor(() => agent.server.activeCalls.size === 1, 5000, 'activeCalls back to 1');
    await healthy.waitFor(() => agent.fake.sessions.every((s) => s === healthySession || !s.isOpen), 5000, 'fuzz model sessions closed');
    expect(agent.server.activeCalls.size).toBe(1);
    expect(agent.fake.sessions.filter((s) => s.isOpen)).toEqual([healthySession]);
  });

  it('still takes new calls', async () => {
    const call = await agent.dial();
    await call.waitForPlayedMs(1000, 10_000);
    expect(call.violations).toEqual([]);
    await call.hangUp();
  }, 20_000);
});
