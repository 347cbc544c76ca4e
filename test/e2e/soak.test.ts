/**
 * A bounded soak. Hundreds of short calls through the real server, ten at a time; each
 * caller dials, hears a short greeting and hangs up — or drops the line, or hangs up before the greeting.
 * Some model connections fail on the fake's fault plan (dropped mid-call, reset, refused with 401/429/500,
 * session expired, an error and a close, every response rate limited). Afterwards nothing may be left:
 * no active call, no open model session, no extra handles, and no heap growth between the two halves.
 *
 * SOAK_CALLS (default 300) sets the size, SOAK_CONCURRENCY (default 10) the calls in flight.
 */
import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';
import { AUTH_TOKEN, PUBLIC_URL, TestAgent } from '../support/agent';
import type { SessionFaults } from '../support/fakeRealtime';
import { pool } from '../support/rawMediaStream';
import { seededRandom } from '../support/signal';
import { SimulatedCall } from '../support/twilioSimulator';

const CALLS = Number(process.env.SOAK_CALLS ?? 300);
const CONCURRENCY = Number(process.env.SOAK_CONCURRENCY ?? 10);
const SEED = Number(process.env.SOAK_SEED ?? 7);
/** The caller hangs up once this much of the greeting has played. */
const HEARD_MS = 150;
const HEAP_GROWTH_LIMIT = 20 * 1024 * 1024;
/** Per resource type, extra handles tolerated at the end (jest's own timers and the like). */
const HANDLE_SLACK = 2;

type CallKind = 'hang-up' | 'caller-drops' | 'hangs-up-at-once';

interface CallResult {
  index: number;
  kind: CallKind;
  dialError?: string;
  heardMs: number;
  /** The server ended the call before the caller did. */
  serverClosedFirst: boolean;
  violations: string[];
  waitError?: string;
}

/** Faults per model connection: independent of which call makes it, so the plan is the same every run. */
function faultPlan(connection: number): SessionFaults | undefined {
  const rng = seededRandom((SEED * 1_000_003 + connection * 7919) >>> 0);
  const r = rng();
  if (r < 0.06) return { dropAfterMs: 5 + Math.floor(rng() * 150) };
  if (r < 0.08) return { reset: true };
  if (r < 0.1) return { refuse: { status: rng() < 0.5 ? 500 : 429 } };
  if (r < 0.11) return { refuse: { status: 401 } };
  if (r < 0.12) return { expireAfterMs: 50 + Math.floor(rng() * 150) };
  if (r < 0.13) return { errorAfterMs: { afterMs: 20 + Math.floor(rng() * 100), code: 'server_error', message: 'The server had an error.', close: true } };
  if (r < 0.15) return { rateLimitResponses: true };
  return undefined;
}

function callKind(rng: () => number): CallKind {
  const r = rng();
  return r < 0.7 ? 'hang-up' : r < 0.9 ? 'caller-drops' : 'hangs-up-at-once';
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

async function settledHeapUsed(): Promise<number> {
  for (let i = 0; i < 4; i++) {
    gc();
    await sleep(20);
  }
  return process.memoryUsage().heapUsed;
}

function resourceCounts(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) counts[r] = (counts[r] ?? 0) + 1;
  return counts;
}

let agent: TestAgent;
const results: CallResult[] = [];
let handlesBefore: Record<string, number> = {};
let handlesAfter: Record<string, number> = {};
const heap = { start: 0, half: 0, end: 0 };
let waitDrainError: string | undefined;
let elapsedMs = 0;

async function oneCall(index: number, kind: CallKind, dropAfterMs: number): Promise<CallResult> {
  const result: CallResult = { index, kind, heardMs: 0, serverClosedFirst: false, violations: [] };
  let call: SimulatedCall;
  try {
    call = await SimulatedCall.dial({ serverUrl: agent.url, publicUrl: PUBLIC_URL, authToken: AUTH_TOKEN });
  } catch (err) {
    result.dialError = (err as Error).message;
    return result;
  }
  let serverClosed = false;
  void call.closedByServer.then(() => (serverClosed = true));
  try {
    if (kind === 'hang-up') {
      await call
        .waitFor(() => call.playedMs() >= HEARD_MS || serverClosed, 10_000, `heard ${HEARD_MS} ms`)
        .catch((err: Error) => (result.waitError = err.message));
      result.serverClosedFirst = serverClosed;
      result.heardMs = call.playedMs();
      await call.hangUp();
    } else if (kind === 'caller-drops') {
      await sleep(dropAfterMs);
      result.serverClosedFirst = serverClosed;
      result.heardMs = call.playedMs();
      call.close(); // the line goes dead: no stop, no close frame
    } else {
      await call.hangUp();
    }
  } finally {
    call.close();
  }
  result.violations = [...call.violations];
  return result;
}

async function waitUntil(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!predicate()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** Everything from the calls so far has ended; the fake forgets the closed sessions' history. */
async function drained(): Promise<void> {
  await waitUntil(() => agent.server.activeCalls.size === 0, 10_000, 'activeCalls to empty');
  await waitUntil(() => agent.fake.sessionsClosed === agent.fake.sessionsAccepted, 10_000, 'every model session to close');
  agent.fake.pruneClosedSessions();
}

beforeAll(async () => {
  agent = await TestAgent.start(
    { MAX_CONCURRENT_CALLS: String(CONCURRENCY * 5), AGENT_GREETING: 'Hi.' },
    { speedup: 20, reply: () => ({ text: 'Hi there.', toneHz: 500, durationMs: 200 }), faults: (i) => faultPlan(i) },
  );
  const rng = seededRandom(SEED);
  const plan = Array.from({ length: CALLS }, (_, i) => ({ index: i, kind: callKind(rng), dropAfterMs: Math.floor(rng() * 300) }));
  const half = Math.floor(CALLS / 2);
  const run = (p: (typeof plan)[number]) => () => oneCall(p.index, p.kind, p.dropAfterMs);

  heap.start = await settledHeapUsed();
  handlesBefore = resourceCounts();
  const t0 = performance.now();
  try {
    results.push(...(await pool(plan.slice(0, half).map(run), CONCURRENCY)));
    await drained();
    heap.half = await settledHeapUsed();
    results.push(...(await pool(plan.slice(half).map(run), CONCURRENCY)));
    await drained();
  } catch (err) {
    waitDrainError = (err as Error).message;
  }
  elapsedMs = performance.now() - t0;
  heap.end = await settledHeapUsed();
  await waitUntil(() => Object.entries(resourceCounts()).every(([t, n]) => n <= (handlesBefore[t] ?? 0) + HANDLE_SLACK), 3000, 'handles').catch(
    () => undefined,
  );
  handlesAfter = resourceCounts();

  const kinds: Record<string, number> = {};
  for (const r of results) kinds[r.kind] = (kinds[r.kind] ?? 0) + 1;
  const faults: Record<string, number> = {};
  for (const u of agent.fake.upgrades) {
    const f = faultPlan(u.attempt);
    const name = f ? Object.keys(f).join('+') + ('refuse' in f ? `:${f.refuse!.status}` : '') : 'healthy';
    faults[name] = (faults[name] ?? 0) + 1;
  }
  const mb = (n: number): string => (n / 1024 / 1024).toFixed(2);
  console.log(
    [
      `soak: ${results.length} calls (${JSON.stringify(kinds)}), ${CONCURRENCY} at a time, in ${Math.round(elapsedMs)} ms`,
      `model connections: ${agent.fake.upgrades.length} (${JSON.stringify(faults)}), sessions accepted ${agent.fake.sessionsAccepted}, closed ${agent.fake.sessionsClosed}`,
      `calls the server ended first: ${results.filter((r) => r.serverClosedFirst).length}`,
      `heapUsed after GC: start ${mb(heap.start)} MB, half ${mb(heap.half)} MB, end ${mb(heap.end)} MB, second-half growth ${mb(heap.end - heap.half)} MB (${((heap.end - heap.half) / 1024 / Math.max(1, CALLS - Math.floor(CALLS / 2))).toFixed(2)} KB a call)`,
      `handles before ${JSON.stringify(handlesBefore)}`,
      `handles after  ${JSON.stringify(handlesAfter)}`,
    ].join('\n'),
  );
}, 180_000);

afterAll(async () => {
  await agent?.stop();
});

describe(`soak: ${CALLS} short calls, ${CONCURRENCY} at a time, with model faults`, () => {
  it('forced GC is available under jest, and collects', async () => {
    expect(typeof gc).toBe('function');
    expect(heap.half).toBeGreaterThan(0);
    let big: number[] | undefined = new Array(1_000_000).fill(1);
    const ref = new WeakRef(big);
    big = undefined;
    await sleep(0); // a WeakRef target is kept alive until the current job ends
    gc();
    expect(ref.deref()).toBeUndefined();
  });

  it('placed every call', () => {
    expect(results).toHaveLength(CALLS);
    expect(results.filter((r) => r.dialError).map((r) => `#${r.index}: ${r.dialError}`)).toEqual([]);
  });

  it('every caller who waited heard the agent (greeting, or the apology when the model was gone)', () => {
    const silent = results.filter((r) => r.kind === 'hang-up' && !r.dialError && r.heardMs < HEARD_MS);
    expect(silent.map((r) => `#${r.index}: heard ${r.heardMs} ms${r.serverClosedFirst ? ', server hung up first' : ''}${r.waitError ? ` (${r.waitError})` : ''}`)).toEqual(
      [],
    );
  });

  it('sent Twilio only valid messages', () => {
    expect(results.filter((r) => r.violations.length > 0).map((r) => `#${r.index}: ${r.violations[0]}`)).toEqual([]);
  });

  it('left no call and no model session behind', () => {
    expect(waitDrainError).toBeUndefined();
    expect(agent.server.activeCalls.size).toBe(0);
    expect(agent.fake.sessionsClosed).toBe(agent.fake.sessionsAccepted);
    expect(agent.fake.sessions.filter((s) => s.isOpen)).toHaveLength(0);
    expect(agent.fake.sessionsAccepted).toBeGreaterThan(CALLS * 0.5);
  });

  it('left no handles behind', () => {
    const extra = Object.entries(handlesAfter)
      .filter(([type, n]) => n > (handlesBefore[type] ?? 0) + HANDLE_SLACK)
      .map(([type, n]) => `${type}: ${handlesBefore[type] ?? 0} → ${n}`);
    expect(extra).toEqual([]);
  });

  it('did not grow the heap over the second half', () => {
    expect(heap.end - heap.half).toBeLessThan(HEAP_GROWTH_LIMIT);
  });
});
