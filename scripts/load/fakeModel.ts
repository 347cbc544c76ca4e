/**
 * The fake Realtime server of a load run, on a worker thread of its own. Its TLS and JSON work stays off the
 * simulated callers' event loop: that loop's lag (echoes sent late, clears handled late) would otherwise count
 * against the bridge. Every model session is watched on the worker; the main thread hears of each as it is
 * accepted and gets their records at the end, on its own clock.
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { mulaw } from 'alawmulaw';
import { FakeRealtimeServer, type FakeSession, type ReplySpec } from '../../test/support/fakeRealtime';
import { base64Bytes, FRAME_BYTES, MULAW_BYTES_PER_MS, type DeltaSent } from './match';

export interface FakeModelOptions {
  /** The fake model speaks this many times faster than real time. */
  speedup: number;
  greeting: ReplySpec;
  reply: ReplySpec;
}

/** One model session, as the load run reads it. */
export interface SessionRecord {
  /** When each 20 ms frame arrived: an append of several frames (silence the bridge held back) counts for each. */
  appendTimes: number[];
  /** Milliseconds of each append that was not whole 20 ms frames (silence filled in by the bridge): not counted. */
  oddAppends: number[];
  /** The first frame in `appendTimes` with the caller's voice in it. */
  firstLoudAppend: number;
  firstLoudAt: number | undefined;
  /** Assistant audio per item, in the order the items started. */
  items: Map<string, DeltaSent[]>;
  truncates: Array<{ itemId: string; audioEndMs: number; at: number }>;
  speechStartedAt: number[];
  /** Codes of the errors the fake sent. */
  errors: string[];
}

type FromWorker =
  | { type: 'ready'; ca: string; baseURL: string; timeOrigin: number }
  | { type: 'session' }
  | { type: 'records'; records: SessionRecord[] }
  | { type: 'failed'; error: string };

/** A sample louder than this is the caller's voice, not silence run through a filter. */
const LOUD_SAMPLE = 64;

/** The main thread's handle on the worker. */
export class FakeModel {
  /** Model sessions accepted so far. */
  sessions = 0;
  private pending: ((message: FromWorker) => void) | undefined;

  private constructor(
    private readonly worker: Worker,
    readonly ca: string,
    readonly baseURL: string,
    /** Add to a worker's time to read it on this thread's clock. */
    private readonly clockOffset: number,
  ) {
    worker.on('message', (message: FromWorker) => {
      if (message.type === 'session') this.sessions++;
      else this.pending?.(message);
    });
    // A worker that died answers nothing more: say why instead of waiting for it.
    worker.on('error', (err) => this.pending?.({ type: 'failed', error: err.message }));
    worker.on('exit', (code) => this.pending?.({ type: 'failed', error: `the fake model's thread exited (${code})` }));
  }

  static async start(options: FakeModelOptions): Promise<FakeModel> {
    // The worker runs this file through tsx, as the load tool itself runs.
    const code = `require(${JSON.stringify(require.resolve('tsx/cjs'))}); require(${JSON.stringify(__filename)});`;
    const worker = new Worker(code, { eval: true, workerData: { fakeModel: options } });
    const ready = await new Promise<FromWorker>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    if (ready.type !== 'ready') throw new Error(`the fake model did not start: ${ready.type === 'failed' ? ready.error : ready.type}`);
    return new FakeModel(worker, ready.ca, ready.baseURL, ready.timeOrigin - performance.timeOrigin);
  }

  /** Every session's record so far, its times on this thread's clock. */
  async records(): Promise<SessionRecord[]> {
    const answer = new Promise<FromWorker>((resolve) => (this.pending = resolve));
    this.worker.postMessage('records');
    const message = await answer;
    if (message.type !== 'records') throw new Error(message.type === 'failed' ? message.error : `the fake model answered ${message.type}`);
    const shift = (t: number) => t + this.clockOffset;
    return message.records.map((r) => ({
      ...r,
      appendTimes: r.appendTimes.map(shift),
      firstLoudAt: r.firstLoudAt === undefined ? undefined : shift(r.firstLoudAt),
      items: new Map([...r.items].map(([id, deltas]) => [id, deltas.map((d) => ({ ...d, at: shift(d.at) }))])),
      truncates: r.truncates.map((t) => ({ ...t, at: shift(t.at) })),
      speechStartedAt: r.speechStartedAt.map(shift),
    }));
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}

/** On the worker: the fake server, every session watched, records on request. */
async function serve(options: FakeModelOptions): Promise<void> {
  const port = parentPort!;
  const fake = await FakeRealtimeServer.start({ speedup: options.speedup, reply: (index) => ({ ...(index === 0 ? options.greeting : options.reply) }) });
  const watched: Array<{ session: FakeSession; record: SessionRecord }> = [];
  // The fake keeps every event and all input audio for tests to inspect; a long run must not.
  setInterval(() => watched.forEach(({ session }) => forgetHistory(session)), 1000).unref();
  port.on('message', () => {
    const records = watched.map(({ session, record }) => ({ ...record, speechStartedAt: [...session.speechStartedAt], errors: session.errorsSent.map((e) => e.code) }));
    port.postMessage({ type: 'records', records } satisfies FromWorker);
  });
  port.postMessage({ type: 'ready', ca: fake.ca, baseURL: fake.baseURL, timeOrigin: performance.timeOrigin } satisfies FromWorker);
  for (;;) {
    const session = await fake.nextSession();
    watched.push({ session, record: watch(session) });
    port.postMessage({ type: 'session' } satisfies FromWorker);
  }
}

function formatOf(format: unknown): string {
  return (format as { type?: string } | undefined)?.type ?? 'audio/pcm';
}

/** Watches one model session: when each append arrived, the assistant audio it sent, the truncates it got. */
function watch(session: FakeSession): SessionRecord {
  const rec: SessionRecord = { appendTimes: [], oddAppends: [], firstLoudAppend: -1, firstLoudAt: undefined, items: new Map(), truncates: [], speechStartedAt: [], errors: [] };
  const ends = new Map<string, number>();
  session.on('client-event', (event: any) => {
    const now = performance.now();
    if (event.type === 'input_audio_buffer.append') {
      const pcm = formatOf(session.sessionConfig?.audio?.input?.format) === 'audio/pcm';
      const bytes = base64Bytes(event.audio);
      const frameBytes = pcm ? FRAME_BYTES * 6 : FRAME_BYTES;
      if (bytes === 0 || bytes % frameBytes !== 0) {
        rec.oddAppends.push(bytes / (pcm ? 48 : MULAW_BYTES_PER_MS));
        return;
      }
      const frames = bytes / frameBytes;
      for (let f = 0; f < frames; f++) rec.appendTimes.push(now);
      const loud = rec.firstLoudAppend < 0 ? firstLoudFrame(event.audio, pcm, frameBytes) : -1;
      if (loud >= 0) {
        rec.firstLoudAppend = rec.appendTimes.length - frames + loud;
        rec.firstLoudAt = now;
      }
    } else if (event.type === 'conversation.item.truncate') {
      rec.truncates.push({ itemId: event.item_id, audioEndMs: event.audio_end_ms, at: now });
    }
  });
  session.on('server-event', (event: any) => {
    if (event.type !== 'response.output_audio.delta') return;
    const now = performance.now();
    const pcm = formatOf(session.sessionConfig?.audio?.output?.format) === 'audio/pcm';
    const bytes = base64Bytes(event.delta);
    const end = (ends.get(event.item_id) ?? 0) + (pcm ? bytes / 6 : bytes);
    ends.set(event.item_id, end);
    let deltas = rec.items.get(event.item_id);
    if (!deltas) rec.items.set(event.item_id, (deltas = []));
    deltas.push({ at: now, endBytes: end });
  });
  return rec;
}

/** The first frame of an append with a loud sample in it, or -1. */
function firstLoudFrame(b64: string, pcm: boolean, frameBytes: number): number {
  const buf = Buffer.from(b64, 'base64');
  const samples = pcm ? new Int16Array(buf.buffer, buf.byteOffset, buf.length >> 1) : mulaw.decode(new Uint8Array(buf));
  const samplesPerFrame = pcm ? frameBytes / 2 : frameBytes;
  for (let i = 0; i < samples.length; i++) if (Math.abs(samples[i]!) > LOUD_SAMPLE) return Math.floor(i / samplesPerFrame);
  return -1;
}

function forgetHistory(session: FakeSession): void {
  session.clientEvents.length = 0;
  session.serverEvents.length = 0;
  const kept = session as unknown as { pcm24kChunks?: unknown[]; pcm8kChunks?: unknown[] };
  if (kept.pcm24kChunks) kept.pcm24kChunks.length = 0;
  if (kept.pcm8kChunks) kept.pcm8kChunks.length = 0;
}

if (!isMainThread && (workerData as { fakeModel?: FakeModelOptions } | undefined)?.fakeModel) {
  serve((workerData as { fakeModel: FakeModelOptions }).fakeModel).catch((err: Error) =>
    parentPort!.postMessage({ type: 'failed', error: err.message } satisfies FromWorker),
  );
}
