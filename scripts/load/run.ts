/**
 * One load run of one bridge: the simulated callers in this process, the fake Realtime server on a worker thread
 * of it, the bridge under test (the real server, or the baseline) in a child process on 127.0.0.1, measured from
 * outside.
 *
 * Every call: dial, hear TALK_AFTER_HEARD_MS of the greeting, say the caller-hello phrase over it (a barge-in:
 * the bridge clears the line and truncates the greeting), hear the one reply, stay on in silence until
 * `seconds` after connecting, hang up. CPU, memory and the caller → model latency are measured over the
 * steady part, when every call is up and quiet (the caller's silence still streams at 50 frames a second).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type WebSocket from 'ws';
import type { ReplySpec } from '../../test/support/fakeRealtime';
import { loadFixture } from '../../test/support/fixtures';
import { createTestSchema, type TestSchema } from '../../test/support/postgres';
import { SimulatedCall } from '../../test/support/twilioSimulator';
import type { LoadOptions, Mode } from './args';
import { FakeModel, type SessionRecord } from './fakeModel';
import { base64Bytes, FRAME_BYTES, heardBefore, inboundLatencies, minimumLag, MULAW_BYTES_PER_MS, outboundLatencies, type MediaReceived } from './match';
import { sampleProcess, type ProcSample } from './proc';
import { median, summarize, type Summary } from './stats';

/** Only signed over, never contacted (.invalid never resolves). */
const PUBLIC_URL = 'https://agent.load.invalid';
const ACCOUNT_SID = `AC${'0'.repeat(32)}`;
/** The fake's greeting and reply tones. The reply is shorter than the bridge's playback lead: none of it waits. */
const GREETING: ReplySpec = { text: 'Hello, thanks for calling. How can I help you today?', toneHz: 440, durationMs: 1500 };
const REPLY: ReplySpec = { text: 'Sure, I can help you with that.', toneHz: 660, durationMs: 800 };
/** The fake model speaks this many times faster than real time (as the tests' default). */
const SPEEDUP = 4;
/** The caller starts talking once it has heard this much of the greeting. */
export const TALK_AFTER_HEARD_MS = 400;
/** The product hands at most this much audio ahead of playback to Twilio; later audio waits on playback. */
const LEAD_MS = 1000;
/** A resampling filter holds back a few samples of each delta until the next one: well under 5 ms. */
const TOLERANCE_BYTES = 40;
const SILENCE_PAYLOAD = Buffer.alloc(FRAME_BYTES, 0xff).toString('base64');
const STARTUP_TIMEOUT_MS = 60_000;
const DIAL_SESSION_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 10_000;
/** The event-loop sampling period; each sample is this plus the delay, so it is taken off. */
const LOOP_RESOLUTION_MS = 10;

export interface EventLoopDelay {
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

/** How long the bridge worked on one kind of message, in ms (see eventLoopProbe.cjs); no percentiles without any. */
export interface MessageWork {
  count: number;
  p50?: number;
  p99?: number;
  max?: number;
}

/** What the probe preloaded into the bridge reports. */
interface ProbeReport extends EventLoopDelay {
  work: {
    frame: MessageWork;
    delta: MessageWork;
    speechStarted: MessageWork;
    /** From handing a speech_started (or a caller frame, for the bridge's own detector) over to the `clear` it sent. */
    clearAfterSpeechStarted: MessageWork;
    clearAfterFrame: MessageWork;
  };
  heapUsedMB: number;
}

export interface ModeResult {
  mode: Mode;
  /** Server processes that carried the calls (instances on one database; 1 for the baseline). */
  instances: number;
  calls: {
    planned: number;
    connected: number;
    dialFailed: number;
    /** Calls the bridge hung up on before the caller did. */
    endedByServer: number;
    /** Messages Twilio would have refused (31950/31951), over all calls. */
    violations: number;
    /** Calls in which the caller's speech over the greeting never cleared the line. */
    noClear: number;
    /** Calls that never heard the whole reply. */
    noReply: number;
    /** Calls not matched with their model session (no per-call numbers for them). */
    unpaired: number;
    pairing: 'dial order' | 'speech onset';
    /** From the first dial to the last call connected (with its model session, when dialling one at a time). */
    rampSeconds: number;
    /** Sessions whose frame alignment contradicted the clock (left out of the caller → model numbers). */
    misaligned: number;
  };
  /** The part of the run measured for CPU, memory, event-loop delay and caller → model latency. */
  window: { seconds: number; quiet: boolean; activeCalls: number };
  cpu: {
    msPerCallSecond: number;
    /**
     * The same from the first dial until every call has hung up (setting calls up, the greeting, the barge-in and
     * the reply included), over the calls' connected time.
     */
    wholeRunMsPerCallSecond: number;
    /** Server CPU time over wall time in the window: 1 = one core busy. */
    coreFraction: number;
    /** The same for the second before the first call. */
    idleCoreFraction: number;
    ratioToBaseline?: number;
  };
  rss: { idleMB: number; steadyMB: number; perCallKB: number };
  /** ms from the simulated caller sending a frame to the fake receiving the append carrying it (steady window: silence). */
  callerToModel: Summary;
  /** The same for the frames of each caller's phrase (speech), from its first frame to its last. */
  callerToModelSpeech: Summary;
  /** ms from the fake sending a delta to the caller receiving the media carrying its end (greeting and reply). */
  modelToCaller: Summary;
  /** ms from the fake sending speech_started to the caller receiving clear (negative: the bridge cleared first). */
  clearAfterSpeechStarted: Summary;
  /** ms from the caller's first spoken frame to the clear. */
  clearAfterCallerSpoke: Summary;
  /** The truncate's audio_end_ms minus what the caller had heard of the greeting at the clear. */
  truncationError: Summary;
  /** ms from playout passing the last mark echoed before the clear to the caller sending that echo: its own lag. */
  lastEchoLate: Summary;
  /** ms from starting to dial to the first agent audio the caller received. */
  firstAudio: Summary;
  serverEventLoop: EventLoopDelay | undefined;
  /**
   * The bridge's own work per message, from handing it to the bridge to the end of the ticks queued behind it:
   * caller frames over the window, model deltas and speech_started over the whole run.
   */
  serverWork: ProbeReport['work'] | undefined;
  /** JS heap in use (process.memoryUsage().heapUsed) before the first call and at the end of the window. */
  heap: { idleMB: number; steadyMB: number };
  /** The load process itself, over the same window: its lag inflates every latency above. */
  harness: { coreFraction: number; eventLoop: EventLoopDelay };
  server: { exitCode: number | null; signal: string | null; warnings: number; errors: number; messages: Array<{ level: string; message: string; count: number }> };
  /** `oddAppends`: how many appends were not whole frames; `oddAppendMs`: the first few of their lengths. */
  fake: { sessions: number; errors: Record<string, number>; oddAppends: number; oddAppendMs: number[] };
  loadAverage: { before: number[]; after: number[] };
}

interface CallRecord {
  index: number;
  dialStartedAt: number;
  connectedAt: number | undefined;
  dialError: string | undefined;
  call: SimulatedCall | undefined;
  /** When each media frame was sent. */
  sendTimes: number[];
  /** The first frame of the caller's phrase. */
  phraseFrame: number;
  quietAt: number | undefined;
  serverClosedAt: number | undefined;
  /** Its model session, by the order the fake accepted them. */
  sessionIndex: number | undefined;
  session: SessionRecord | undefined;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** Polls `predicate` every `everyMs` until it holds (true) or `deadline` passes (false). */
async function until(predicate: () => boolean, everyMs: number, deadline: number): Promise<boolean> {
  for (;;) {
    if (predicate()) return true;
    if (performance.now() >= deadline) return false;
    await sleep(Math.min(everyMs, deadline - performance.now()));
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function getJson(url: string): Promise<any> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: 2000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        } catch (err) {
          reject(err);
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/** The bridge under test as a child process, with the event-loop probe preloaded and its output tallied. */
class BridgeProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: string | null }>;
  private readonly tail: string[] = [];
  private readonly tally = new Map<string, { level: string; message: string; count: number }>();
  private probeSeq = 0;

  constructor(args: string[], env: NodeJS.ProcessEnv, cwd: string) {
    this.child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
    for (const stream of [this.child.stdout!, this.child.stderr!]) {
      let partial = '';
      stream.setEncoding('utf8');
      stream.on('data', (text: string) => {
        const lines = (partial + text).split('\n');
        partial = lines.pop()!;
        for (const line of lines) this.onLine(line);
      });
    }
  }

  get pid(): number {
    return this.child.pid!;
  }

  get output(): string {
    return this.tail.join('\n');
  }

  get messages(): Array<{ level: string; message: string; count: number }> {
    return [...this.tally.values()].sort((a, b) => b.count - a.count);
  }

  count(level: string): number {
    return this.messages.filter((m) => m.level === level).reduce((n, m) => n + m.count, 0);
  }

  /** Asks the preloaded probe to reset (the window's histograms) or read what it measured; undefined if it does not answer. */
  probe(what: 'reset' | 'read'): Promise<ProbeReport | undefined> {
    const id = ++this.probeSeq;
    return new Promise((resolve) => {
      const done = (value: ProbeReport | undefined) => {
        clearTimeout(timer);
        this.child.off('message', onMessage);
        resolve(value);
      };
      const onMessage = (m: any) => {
        if (m && m.loadProbe === what && m.id === id) done({ p50: m.p50, p99: m.p99, max: m.max, mean: m.mean, work: m.work, heapUsedMB: m.heapUsedMB });
      };
      const timer = setTimeout(() => done(undefined), 3000);
      this.child.on('message', onMessage);
      try {
        this.child.send({ loadProbe: what, id });
      } catch {
        done(undefined);
      }
    });
  }

  /** SIGTERM (the server's graceful stop), then SIGKILL after STOP_TIMEOUT_MS; this child only, by its pid. */
  async stop(): Promise<{ code: number | null; signal: string | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    const result = await this.exited;
    clearTimeout(timer);
    return result;
  }

  private onLine(line: string): void {
    if (!line.trim()) return;
    this.tail.push(line);
    if (this.tail.length > 200) this.tail.shift();
    let level = 'stderr';
    let message = line.trim().slice(0, 200);
    if (line.startsWith('{')) {
      try {
        const entry = JSON.parse(line) as { level?: string; message?: string };
        level = entry.level ?? 'info';
        message = String(entry.message ?? '');
      } catch {
        // not a log line
      }
    } else if (/^\s+(Review calls|Talk to the agent|http)/.test(line) || line.trim() === '') {
      return; // the sign-in banner
    }
    if (level !== 'warn' && level !== 'error' && level !== 'stderr') return;
    const key = `${level}\0${message}`;
    const entry = this.tally.get(key) ?? { level, message, count: 0 };
    entry.count++;
    this.tally.set(key, entry);
  }
}

/**
 * The bridge under test: one process, or several instances of the server on one database, measured as one:
 * CPU and memory summed, the event loop and the work per message of the instance that did worst.
 */
class Bridges {
  constructor(
    readonly processes: BridgeProcess[],
    readonly urls: string[],
  ) {}

  get pids(): string {
    return this.processes.map((p) => p.pid).join(', ');
  }

  get output(): string {
    return this.processes.map((p) => p.output).join('\n');
  }

  get messages(): Array<{ level: string; message: string; count: number }> {
    return this.processes.flatMap((p) => p.messages).sort((a, b) => b.count - a.count);
  }

  count(level: string): number {
    return this.processes.reduce((n, p) => n + p.count(level), 0);
  }

  /** Where call `index` rings (its webhook), and where its stream goes: every other call's to the next instance. */
  route(index: number): { serverUrl: string; streamServerUrl: string } {
    const n = this.urls.length;
    return { serverUrl: this.urls[index % n]!, streamServerUrl: this.urls[(index + (Math.floor(index / n) % 2)) % n]! };
  }

  sample(now: number): ProcSample | undefined {
    const samples = this.processes.map((p) => sampleProcess(p.pid, now));
    if (samples.some((x) => x === undefined)) return undefined;
    return { at: now, cpuMs: samples.reduce((t, x) => t + x!.cpuMs, 0), rssBytes: samples.reduce((t, x) => t + x!.rssBytes, 0) };
  }

  async probe(what: 'reset' | 'read'): Promise<ProbeReport | undefined> {
    const reports = await Promise.all(this.processes.map((p) => p.probe(what)));
    if (reports.some((r) => r === undefined)) return undefined;
    return worstOf(reports as ProbeReport[]);
  }

  async stop(): Promise<{ code: number | null; signal: string | null }> {
    const exits = await Promise.all(this.processes.map((p) => p.stop()));
    return exits.find((e) => e.code !== 0) ?? exits[0]!;
  }
}

/** One report for several instances: the worst of each, their message counts and heaps added up. */
function worstOf(reports: ProbeReport[]): ProbeReport {
  const max = (values: Array<number | undefined>) => (values.some((v) => v !== undefined) ? Math.max(...values.filter((v): v is number => v !== undefined)) : undefined);
  const work = (kind: keyof ProbeReport['work']): MessageWork => {
    const all = reports.map((r) => r.work[kind]);
    return { count: all.reduce((n, w) => n + w.count, 0), p50: max(all.map((w) => w.p50)), p99: max(all.map((w) => w.p99)), max: max(all.map((w) => w.max)) };
  };
  return {
    p50: max(reports.map((r) => r.p50))!,
    p99: max(reports.map((r) => r.p99))!,
    max: max(reports.map((r) => r.max))!,
    mean: max(reports.map((r) => r.mean))!,
    work: {
      frame: work('frame'),
      delta: work('delta'),
      speechStarted: work('speechStarted'),
      clearAfterSpeechStarted: work('clearAfterSpeechStarted'),
      clearAfterFrame: work('clearAfterFrame'),
    },
    heapUsedMB: reports.reduce((t, r) => t + r.heapUsedMB, 0),
  };
}

function bridgeArgs(mode: Mode, { server, nodeArgs }: RunOptions, root: string): string[] {
  const probe = [...nodeArgs, '--require', path.join(__dirname, 'eventLoopProbe.cjs')];
  const tsx = ['--require', require.resolve('tsx/cjs')];
  if (mode === 'baseline') return [...probe, ...tsx, path.join(__dirname, 'baseline.ts')];
  if (server === 'dist') return [...probe, path.join(root, 'dist', 'main.js')];
  return [...probe, ...tsx, path.join(root, 'src', 'main.ts')];
}

function loopDelayMs(ns: number): number {
  return Math.max(0, ns / 1e6 - LOOP_RESOLUTION_MS);
}

/** Records when each media frame leaves the simulated caller, and which one starts the phrase. */
function watchFrames(call: SimulatedCall, rec: CallRecord): void {
  const ws = (call as unknown as { ws?: WebSocket }).ws;
  if (!ws || typeof ws.send !== 'function') throw new Error('the Twilio simulator no longer keeps its socket in `ws`: update scripts/load/run.ts');
  // Frames sent before this point (none, normally: the media clock's first tick is a timer) have no time.
  for (let i = 0; i < call.framesSent; i++) rec.sendTimes.push(NaN);
  const send = ws.send.bind(ws) as (data: unknown, ...rest: unknown[]) => void;
  (ws as unknown as { send: (data: unknown, ...rest: unknown[]) => void }).send = (data, ...rest) => {
    if (typeof data === 'string' && data.startsWith('{"event":"media"')) {
      rec.sendTimes.push(performance.now());
      if (rec.phraseFrame < 0 && !data.includes(SILENCE_PAYLOAD)) rec.phraseFrame = rec.sendTimes.length - 1;
    }
    send(data, ...rest);
  };
}

/** Media the caller received, in order, split at `t` (before, after). */
function mediaSplit(call: SimulatedCall, t: number): [MediaReceived[], MediaReceived[]] {
  const before: MediaReceived[] = [];
  const after: MediaReceived[] = [];
  for (const { at, message } of call.received) {
    if (!message || message.event !== 'media') continue;
    (at < t ? before : after).push({ at, bytes: base64Bytes(message.media.payload) });
  }
  return [before, after];
}

/** The options of one run: one call count. */
export type RunOptions = Omit<LoadOptions, 'calls'> & { calls: number };

/** Runs `mode` under `calls` callers, the server from the checkout at `root`, and measures it. `log` gets progress lines. */
export async function runMode(mode: Mode, options: RunOptions, root: string, log: (line: string) => void = () => {}): Promise<ModeResult> {
  const { calls: planned, seconds, concurrency } = options;
  const phrase = loadFixture('caller-hello.ulaw');
  const loadBefore = os.loadavg();
  const harnessLoop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  harnessLoop.enable();
  const fake = await FakeModel.start({ speedup: SPEEDUP, greeting: GREETING, reply: REPLY });
  const dir = mkdtempSync(path.join(os.tmpdir(), `load-${mode}-`));
  let bridge: Bridges | undefined;
  let schema: TestSchema | undefined;
  const records: CallRecord[] = [];
  try {
    const caFile = path.join(dir, 'fake-ca.pem');
    writeFileSync(caFile, fake.ca);
    const instances = mode === 'baseline' ? 1 : options.instances;
    const authToken = randomBytes(16).toString('hex');
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH ?? '',
      HOME: dir,
      OPENAI_API_KEY: 'sk-load-test-0123456789',
      OPENAI_BASE_URL: fake.baseURL,
      NODE_EXTRA_CA_CERTS: caFile,
      PUBLIC_URL,
      TWILIO_ACCOUNT_SID: ACCOUNT_SID,
      TWILIO_AUTH_TOKEN: authToken,
      DATABASE_PATH: path.join(dir, 'calls.db'),
      MAX_CONCURRENT_CALLS: String(planned + 10),
      LOG_LEVEL: 'warn',
      LOG_FORMAT: 'json',
      AUDIO_MODE: mode === 'baseline' ? 'passthrough' : mode,
      ADMIN_TOKEN: randomBytes(16).toString('hex'),
      // A call that listens in silence for the whole run must not be asked whether anyone is there, or timed out.
      IDLE_TIMEOUT_SECONDS: String(Math.min(3600, seconds + 60)),
      MAX_CALL_SECONDS: String(Math.max(1800, seconds + 120)),
      ...options.env,
    };
    if (instances > 1) {
      // Several instances behind one public URL: one database, one secret for the stream tokens.
      schema = await createTestSchema('load');
      Object.assign(env, { DATABASE_URL: schema.url, STREAM_TOKEN_SECRET: randomBytes(24).toString('hex') });
    }
    const ports = await Promise.all(Array.from({ length: instances }, () => freePort()));
    const processes = ports.map((port, i) => new BridgeProcess(bridgeArgs(mode, options, root), { ...env, PORT: String(port), INSTANCE_ID: `load-${i + 1}` }, dir));
    const running = new Bridges(processes, ports.map((port) => `http://127.0.0.1:${port}`));
    bridge = running;
    const started = await Promise.all(processes.map((p, i) => waitHealthy(running.urls[i]!, p)));
    if (started.includes(false)) throw new Error(`the ${mode} bridge did not start:\n${bridge.output}`);
    log(`${mode}: ${instances > 1 ? `${instances} instances` : 'bridge'} up (pid ${bridge.pids}), dialling ${planned} calls`);

    const idleFrom = bridge.sample(performance.now());
    await sleep(1000);
    const idle = bridge.sample(performance.now());
    const idleProbe = await bridge.probe('read');
    const runStart = bridge.sample(performance.now());
    let pairing: ModeResult['calls']['pairing'] = concurrency === 1 ? 'dial order' : 'speech onset';
    const scripts: Array<Promise<void>> = [];
    let next = 0;
    const dialer = async () => {
      while (next < planned) {
        const rec: CallRecord = {
          index: next++,
          dialStartedAt: performance.now(),
          connectedAt: undefined,
          dialError: undefined,
          call: undefined,
          sendTimes: [],
          phraseFrame: -1,
          quietAt: undefined,
          serverClosedAt: undefined,
          sessionIndex: undefined,
          session: undefined,
        };
        records.push(rec);
        const sessionsBefore = fake.sessions;
        try {
          rec.call = await SimulatedCall.dial({
            ...running.route(rec.index),
            publicUrl: PUBLIC_URL,
            authToken,
            accountSid: ACCOUNT_SID,
            networkDelayMs: options.networkMs,
          });
        } catch (err) {
          rec.dialError = (err as Error).message;
          continue;
        }
        rec.connectedAt = performance.now();
        watchFrames(rec.call, rec);
        void rec.call.closedByServer.then(({ at }) => (rec.serverClosedAt = at));
        if (pairing === 'dial order') {
          // One dial at a time: the next session the fake accepts is this call's.
          const paired = await until(() => fake.sessions > sessionsBefore, 5, performance.now() + DIAL_SESSION_TIMEOUT_MS);
          if (paired && fake.sessions === sessionsBefore + 1) rec.sessionIndex = sessionsBefore;
          else pairing = 'speech onset';
        }
        scripts.push(callScript(rec, rec.call, phrase, rec.connectedAt + seconds * 1000));
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, planned) }, dialer));
    const connected = records.filter((r) => r.connectedAt !== undefined);
    const rampSeconds = (performance.now() - records[0]!.dialStartedAt) / 1000;
    log(`${mode}: ${connected.length}/${planned} connected in ${rampSeconds.toFixed(1)} s`);
    if (connected.length === 0) throw new Error(`no call connected to the ${mode} bridge: ${records[0]?.dialError ?? ''}`);

    // The steady window: from every call being up and quiet (or, if they never all are, from the last dial),
    // to just before the first call hangs up.
    const rampEnd = { at: performance.now(), sample: bridge.sample(performance.now()), cpu: process.cpuUsage() };
    await bridge.probe('reset');
    harnessLoop.reset();
    const firstHangUp = Math.min(...connected.map((r) => r.connectedAt!)) + seconds * 1000;
    const windowEnd = firstHangUp - 250;
    const allQuiet = await until(() => connected.every((r) => r.quietAt !== undefined || r.serverClosedAt !== undefined), 50, windowEnd - 1500);
    await sleep(Math.min(500, windowEnd - 1000 - performance.now()));
    let start = rampEnd;
    const quiet = allQuiet && windowEnd - performance.now() >= 1000;
    if (quiet) {
      start = { at: performance.now(), sample: bridge.sample(performance.now()), cpu: process.cpuUsage() };
      await bridge.probe('reset');
      harnessLoop.reset();
    }
    log(`${mode}: measuring ${((windowEnd - start.at) / 1000).toFixed(1)} s${quiet ? '' : ' (not all calls quiet: the window covers their scripted part too)'}`);
    const rssSamples: ProcSample[] = [];
    while (performance.now() < windowEnd - 50) {
      await sleep(Math.min(1000, windowEnd - performance.now()));
      const s = bridge.sample(performance.now());
      if (s) rssSamples.push(s);
    }
    const end = { at: performance.now(), sample: bridge.sample(performance.now()), cpu: process.cpuUsage(start.cpu) };
    const windowProbe = await bridge.probe('read');
    const serverEventLoop = windowProbe && { p50: windowProbe.p50, p99: windowProbe.p99, max: windowProbe.max, mean: windowProbe.mean };
    const harness = {
      coreFraction: (end.cpu.user + end.cpu.system) / 1000 / (end.at - start.at),
      eventLoop: {
        p50: loopDelayMs(harnessLoop.percentile(50)),
        p99: loopDelayMs(harnessLoop.percentile(99)),
        max: loopDelayMs(harnessLoop.max),
        mean: loopDelayMs(harnessLoop.mean),
      },
    };
    await Promise.all(scripts);
    log(`${mode}: all calls hung up`);
    // The bridge should let go of every call once the callers hang up.
    const drained = (await Promise.all(bridge.urls.map((url) => waitDrained(url, performance.now() + 10_000)))).every(Boolean);
    if (!drained) log(`${mode}: the bridge still reports active calls 10 s after the last caller hung up`);
    const runEnd = bridge.sample(performance.now());
    const runProbe = await bridge.probe('read');
    const connectedSeconds = connected.reduce((sum, r) => sum + (Math.min(r.serverClosedAt ?? Infinity, r.connectedAt! + seconds * 1000) - r.connectedAt!) / 1000, 0);
    const sessions = await fake.records();
    const exit = await bridge.stop();

    // ---- per call, with its model session ----
    if (pairing === 'speech onset') pairByOnset(connected, sessions);
    else for (const rec of connected) rec.session = rec.sessionIndex === undefined ? undefined : sessions[rec.sessionIndex];
    const inWindow = connected.filter((r) => r.serverClosedAt === undefined || r.serverClosedAt > end.at).length;
    const callerToModel: number[] = [];
    const callerToModelSpeech: number[] = [];
    const modelToCaller: number[] = [];
    const clearAfterSpeechStarted: number[] = [];
    const clearAfterCallerSpoke: number[] = [];
    const truncationError: number[] = [];
    const lastEchoLate: number[] = [];
    const firstAudio: number[] = [];
    let misaligned = 0;
    for (const rec of connected) {
      const call = rec.call!;
      const firstMedia = call.received.find((r) => r.message?.event === 'media');
      if (firstMedia) firstAudio.push(firstMedia.at - rec.dialStartedAt);
      const s = rec.session;
      if (!s || rec.phraseFrame < 0) continue;
      const spokeAt = rec.sendTimes[rec.phraseFrame]!;
      if (s.firstLoudAppend >= 0) {
        const offset = rec.phraseFrame - s.firstLoudAppend;
        if (minimumLag(rec.sendTimes, s.appendTimes, offset) < 0) misaligned++;
        else {
          callerToModel.push(...inboundLatencies(rec.sendTimes, s.appendTimes, offset, start.at, end.at));
          const phraseEnd = rec.call?.saidEndedAt[0] ?? -Infinity;
          callerToModelSpeech.push(...inboundLatencies(rec.sendTimes, s.appendTimes, offset, spokeAt, phraseEnd));
        }
      }
      const phraseEnded = call.saidEndedAt[0] ?? Infinity;
      const [greetingMedia, replyMedia] = mediaSplit(call, phraseEnded);
      const items = [...s.items.values()];
      for (const [deltas, media] of [[items[0], greetingMedia], [items[1], replyMedia]] as const) {
        if (!deltas) continue;
        const match = outboundLatencies(deltas, media, { maxOffsetBytes: LEAD_MS * MULAW_BYTES_PER_MS, toleranceBytes: TOLERANCE_BYTES });
        modelToCaller.push(...match.latencies);
      }
      const clearAt = call.clears.find((t) => t >= spokeAt);
      const speechStartedAt = s.speechStartedAt.find((t) => t >= spokeAt);
      if (clearAt !== undefined) {
        clearAfterCallerSpoke.push(clearAt - spokeAt);
        if (speechStartedAt !== undefined) clearAfterSpeechStarted.push(clearAt - speechStartedAt);
        const truncate = s.truncates.find((t) => t.at >= spokeAt);
        if (truncate) truncationError.push(truncate.audioEndMs - heardBefore(call.playbackStartedAt, call.playbackStoppedAt, clearAt));
        const lastEcho = call.markEchoes.filter((e) => !e.cleared && e.at < clearAt).at(-1);
        if (lastEcho?.passedAt !== undefined) lastEchoLate.push(lastEcho.at - lastEcho.passedAt);
      }
    }

    const windowSeconds = (end.at - start.at) / 1000;
    const cpuMs = end.sample && start.sample ? end.sample.cpuMs - start.sample.cpuMs : NaN;
    const steadyRss = median(rssSamples.filter((s) => s.at >= start.at).map((s) => s.rssBytes));
    const fakeErrors: Record<string, number> = {};
    for (const s of sessions) for (const code of s.errors) fakeErrors[code] = (fakeErrors[code] ?? 0) + 1;
    return {
      mode,
      instances,
      calls: {
        planned,
        connected: connected.length,
        dialFailed: records.filter((r) => r.dialError !== undefined).length,
        endedByServer: connected.filter((r) => r.serverClosedAt !== undefined).length,
        violations: connected.reduce((n, r) => n + r.call!.violations.length, 0),
        noClear: connected.filter((r) => r.phraseFrame >= 0 && !r.call!.clears.some((t) => t >= r.sendTimes[r.phraseFrame]!)).length,
        noReply: connected.filter((r) => r.quietAt === undefined).length,
        unpaired: connected.filter((r) => !r.session).length,
        pairing,
        rampSeconds,
        misaligned,
      },
      window: { seconds: windowSeconds, quiet, activeCalls: inWindow },
      cpu: {
        msPerCallSecond: cpuMs / (inWindow * windowSeconds),
        wholeRunMsPerCallSecond: runEnd && runStart ? (runEnd.cpuMs - runStart.cpuMs) / connectedSeconds : NaN,
        coreFraction: cpuMs / (end.at - start.at),
        idleCoreFraction: idle && idleFrom ? (idle.cpuMs - idleFrom.cpuMs) / (idle.at - idleFrom.at) : NaN,
      },
      rss: {
        idleMB: (idle?.rssBytes ?? NaN) / 2 ** 20,
        steadyMB: steadyRss / 2 ** 20,
        perCallKB: (steadyRss - (idle?.rssBytes ?? NaN)) / 1024 / inWindow,
      },
      callerToModel: summarize(callerToModel),
      callerToModelSpeech: summarize(callerToModelSpeech),
      modelToCaller: summarize(modelToCaller),
      clearAfterSpeechStarted: summarize(clearAfterSpeechStarted),
      clearAfterCallerSpoke: summarize(clearAfterCallerSpoke),
      truncationError: summarize(truncationError),
      lastEchoLate: summarize(lastEchoLate),
      firstAudio: summarize(firstAudio),
      serverEventLoop,
      serverWork: runProbe && windowProbe && { ...runProbe.work, frame: windowProbe.work.frame },
      heap: { idleMB: idleProbe?.heapUsedMB ?? NaN, steadyMB: windowProbe?.heapUsedMB ?? NaN },
      harness,
      server: { exitCode: exit.code, signal: exit.signal, warnings: bridge.count('warn'), errors: bridge.count('error') + bridge.count('stderr'), messages: bridge.messages.slice(0, 8) },
      fake: {
        sessions: sessions.length,
        errors: fakeErrors,
        oddAppends: sessions.reduce((n, s) => n + s.oddAppends.length, 0),
        oddAppendMs: sessions.flatMap((s) => s.oddAppends).slice(0, 20),
      },
      loadAverage: { before: loadBefore, after: os.loadavg() },
    };
  } finally {
    harnessLoop.disable();
    for (const r of records) r.call?.close();
    if (bridge) await bridge.stop();
    await schema?.drop();
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One caller: hear some greeting, talk over it, hear the reply, stay on in silence, hang up at `hangUpAt`. */
async function callScript(rec: CallRecord, call: SimulatedCall, phrase: Uint8Array, hangUpAt: number): Promise<void> {
  const gone = () => rec.serverClosedAt !== undefined;
  await until(() => call.playedMs() >= TALK_AFTER_HEARD_MS || gone(), 20, hangUpAt);
  if (!gone() && performance.now() < hangUpAt) {
    call.say(phrase);
    let scanned = 0;
    let replyBytes = 0;
    const heardReply = () => {
      const endedAt = call.saidEndedAt[0];
      if (endedAt === undefined) return false;
      for (; scanned < call.received.length; scanned++) {
        const { at, message } = call.received[scanned]!;
        if (at >= endedAt && message?.event === 'media') replyBytes += base64Bytes(message.media.payload);
      }
      return replyBytes >= REPLY.durationMs * MULAW_BYTES_PER_MS - TOLERANCE_BYTES && !call.isPlaying();
    };
    if (await until(() => heardReply() || gone(), 50, hangUpAt)) {
      if (!gone()) rec.quietAt = performance.now();
    }
  }
  await sleep(hangUpAt - performance.now());
  if (!gone()) await call.hangUp();
  call.close();
}

/** Without dial order to go by: each call takes the first free session whose caller audio turned loud after it spoke. */
function pairByOnset(calls: CallRecord[], sessions: SessionRecord[]): void {
  const free = sessions.filter((s) => s.firstLoudAt !== undefined).sort((a, b) => a.firstLoudAt! - b.firstLoudAt!);
  const spoke = calls.filter((r) => r.phraseFrame >= 0).sort((a, b) => a.sendTimes[a.phraseFrame]! - b.sendTimes[b.phraseFrame]!);
  for (const rec of calls) rec.session = undefined;
  for (const rec of spoke) {
    const at = rec.sendTimes[rec.phraseFrame]!;
    const i = free.findIndex((s) => s.firstLoudAt! >= at);
    if (i >= 0) rec.session = free.splice(i, 1)[0];
  }
}

async function waitHealthy(url: string, bridge: BridgeProcess): Promise<boolean> {
  const deadline = performance.now() + STARTUP_TIMEOUT_MS;
  while (performance.now() < deadline && bridge.child.exitCode === null) {
    try {
      const health = await getJson(`${url}/health`);
      if (health?.status === 'ok') return true;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  return false;
}

async function waitDrained(url: string, deadline: number): Promise<boolean> {
  while (performance.now() < deadline) {
    try {
      const health = await getJson(`${url}/health`);
      if (health?.activeCalls === 0) return true;
    } catch {
      return false;
    }
    await sleep(200);
  }
  return false;
}
