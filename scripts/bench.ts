/**
 * Audio core benchmark: `npm run bench`. (`npm run bench -- --overview` times the call overview instead:
 * scripts/bench/overview.ts.)
 *
 * Our 3x resamplers against speexdsp (its WebAssembly build, SIMD and not, the devDependency
 * @echogarden/speex-resampler-wasm) at qualities 3-10, measured in the same run on the same
 * metrics, then the μ-law codec and the whole transcode path.
 *
 * Machines are shared and noisy, so every cost is also printed as a ratio against a naive
 * baseline timed in the same run, interleaved with it, best of N; compare ratios, not µs,
 * across runs. Every contender writes into a preallocated output (speex into buffers allocated
 * once in its WebAssembly heap, copied in and out like ours). Quality numbers (ripple,
 * alias/image rejection, delay) are measured on synthetic tones through the public APIs.
 */
import { cpus } from 'node:os';
import { mulaw } from 'alawmulaw';
import { bestKernel, CallerToModel, Downsampler3, ModelToCaller, mulawToPcm16, pcm16ToMulaw, type ResamplerKernel, Upsampler3 } from '../src/audio';
import { PROTOTYPE } from '../src/audio/telephonyFilter';
import { rmsDbfs, sine, toneLevelDb } from '../test/support/signal';
import { overviewBench } from './bench/overview';

const AUDIO_SECONDS = 60;
const FRAME_MS = 20;
const FRAMES = (AUDIO_SECONDS * 1000) / FRAME_MS;
const RUNS = 9;
const SPEEX_QUALITIES = [3, 4, 5, 6, 7, 8, 9, 10];
/** Output skipped before measuring tones: longer than the longest filter here (speex q10 down: 32 ms). */
const SETTLE_MS = 50;

// ---------- inputs: 60 s of multitone, pre-split into 20 ms frames ----------

/** In-band multitone, plus (optionally) out-of-band tones that must not alias. */
function multitone(sampleRate: number, withOutOfBand: boolean): Int16Array {
  const freqs = [300, 700, 1100, 1900, 2700, 3300, ...(withOutOfBand ? [4850, 6150, 8450, 10550] : [])];
  const out = new Int16Array(sampleRate * AUDIO_SECONDS);
  for (let i = 0; i < out.length; i++) {
    let v = 0;
    for (const f of freqs) v += Math.sin((2 * Math.PI * f * i) / sampleRate);
    out[i] = Math.round((v / freqs.length) * 20000);
  }
  return out;
}

function frames<T extends Int16Array | Uint8Array>(signal: T, frameLength: number): T[] {
  return Array.from({ length: FRAMES }, (_, i) => signal.subarray(i * frameLength, (i + 1) * frameLength) as T);
}

const pcm24 = multitone(24000, true);
const pcm8 = multitone(8000, false);
const frames24 = frames(pcm24, 480);
const frames8 = frames(pcm8, 160);
const mulawFrames = frames(pcm16ToMulaw(pcm8), 160);
const pcm24leFrames = frames24.map((f) => Buffer.from(f.buffer, f.byteOffset, f.byteLength)); // LE on x86/ARM hosts

// ---------- resamplers under test, behind one shape ----------

/** Streaming: writes the output for `input` into `output`, returns its length. */
type Process = (input: Int16Array, output: Int16Array) => number;

interface Stream {
  process: Process;
  dispose(): void;
}

interface Resampler {
  name: string;
  up(maxInput: number): Stream;
  down(maxInput: number): Stream;
  /** Quality measured elsewhere in the table (same filter, different build). */
  sameQualityAs?: string;
}

const NO_DISPOSE = () => {};

function ours(kernel: ResamplerKernel, name: string): Resampler {
  return {
    name,
    up: () => {
      const upsampler = new Upsampler3({ kernel });
      return { process: (input, output) => upsampler.processInto(input, output), dispose: NO_DISPOSE };
    },
    down: () => {
      const downsampler = new Downsampler3({ kernel });
      return { process: (input, output) => downsampler.processInto(input, output), dispose: NO_DISPOSE };
    },
  };
}

const naive: Resampler = {
  name: 'naive: repeat 3x / keep every 3rd',
  up: () => ({
    process: (x, out) => {
      for (let i = 0, o = 0; i < x.length; i++, o += 3) out[o] = out[o + 1] = out[o + 2] = x[i];
      return x.length * 3;
    },
    dispose: NO_DISPOSE,
  }),
  down: () => ({
    process: (x, out) => {
      const n = Math.floor(x.length / 3); // frames here are whole groups of 3
      for (let i = 0; i < n; i++) out[i] = x[3 * i];
      return n;
    },
    dispose: NO_DISPOSE,
  }),
};

/** The raw Emscripten module of speexdsp's resampler (only what is used here). */
interface SpeexModule {
  HEAP16: Int16Array;
  HEAP32: Int32Array;
  HEAPU32: Uint32Array;
  _malloc(bytes: number): number;
  _free(pointer: number): void;
  _speex_resampler_init(channels: number, inRate: number, outRate: number, quality: number, errorPointer: number): number;
  _speex_resampler_process_int(state: number, channel: number, input: number, inLength: number, output: number, outLength: number): number;
  _speex_resampler_destroy(state: number): void;
}

/**
 * speexdsp as a streaming resampler: input and output buffers allocated once in its heap,
 * one process_int call per chunk. No skip_zeros: like ours, its output starts at time zero,
 * so its filter delay shows in the delay row.
 */
function speexStream(module: SpeexModule, inRate: number, outRate: number, quality: number, maxInput: number): Stream {
  const maxOutput = Math.ceil((maxInput * outRate) / inRate) + 16;
  const error = module._malloc(4);
  const state = module._speex_resampler_init(1, inRate, outRate, quality, error);
  if (!state || module.HEAP32[error >> 2] !== 0) throw new Error(`speex_resampler_init failed (${module.HEAP32[error >> 2]})`);
  const input = module._malloc(maxInput * 2);
  const output = module._malloc(maxOutput * 2);
  const lengths = module._malloc(8); // in_len, out_len (uint32, in/out)
  let view: Int16Array = new Int16Array(0);
  return {
    process: (x, out) => {
      const { HEAP16, HEAPU32 } = module; // re-read: the heap may have grown since
      HEAP16.set(x, input >> 1);
      HEAPU32[lengths >> 2] = x.length;
      HEAPU32[(lengths >> 2) + 1] = maxOutput;
      module._speex_resampler_process_int(state, 0, input, lengths, output, lengths + 4);
      if (HEAPU32[lengths >> 2] !== x.length) throw new Error('speex left input unconsumed');
      const produced = HEAPU32[(lengths >> 2) + 1];
      if (view.length !== produced || view.buffer !== HEAP16.buffer) view = HEAP16.subarray(output >> 1, (output >> 1) + produced);
      out.set(view);
      return produced;
    },
    dispose: () => {
      module._speex_resampler_destroy(state);
      for (const pointer of [error, input, output, lengths]) module._free(pointer);
    },
  };
}

function speex(module: SpeexModule, quality: number, name: string, sameQualityAs?: string): Resampler {
  return {
    name,
    up: (maxInput) => speexStream(module, 8000, 24000, quality, maxInput),
    down: (maxInput) => speexStream(module, 24000, 8000, quality, maxInput),
    sameQualityAs,
  };
}

async function loadSpeex(simd: boolean): Promise<SpeexModule> {
  // A computed specifier keeps this an ESM import under tsx (the package is ESM-only).
  const specifier: string = simd ? '@echogarden/speex-resampler-wasm/simd' : '@echogarden/speex-resampler-wasm';
  const factory = (await import(specifier)) as { default: () => Promise<SpeexModule> };
  return factory.default();
}

/** Runs a fresh stream over the whole input at once. */
function oneShot(make: (maxInput: number) => Stream, ratio: number, x: Int16Array): Int16Array {
  const stream = make(x.length);
  const out = new Int16Array(Math.ceil(x.length * ratio) + 64);
  const n = stream.process(x, out);
  stream.dispose();
  return out.subarray(0, n);
}

// ---------- timing ----------

let sink = 0; // keeps results observable so nothing is optimised away

/** µs per 20 ms frame for one fresh stream over all frames, and how many samples it produced. */
function timeStream(make: (maxInput: number) => Stream, inputs: Int16Array[], output: Int16Array): { us: number; produced: number } {
  const stream = make(inputs[0].length);
  let produced = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < FRAMES; i++) produced += stream.process(inputs[i], output);
  const us = Number(process.hrtime.bigint() - start) / 1000 / FRAMES;
  stream.dispose();
  sink += produced;
  return { us, produced };
}

interface Speed {
  up: number;
  down: number;
  /** Output samples over the 60 s minus input × ratio: non-zero would mean the stream drifts. */
  stretchUp: number;
  stretchDown: number;
}

/** Best of RUNS per resampler and direction; every round times every contender once (interleaved). */
function timeResamplers(resamplers: Resampler[]): Speed[] {
  const up = new Int16Array(480 + 64);
  const down = new Int16Array(160 + 64);
  const best = resamplers.map(() => ({ up: Infinity, down: Infinity, stretchUp: 0, stretchDown: 0 }));
  for (let round = -1; round < RUNS; round++) {
    resamplers.forEach((r, i) => {
      const u = timeStream((n) => r.up(n), frames8, up);
      const d = timeStream((n) => r.down(n), frames24, down);
      if (round < 0) {
        // Warm-up round (lets the JIT and WebAssembly tiers settle): only its lengths count.
        best[i].stretchUp = u.produced - 3 * pcm8.length;
        best[i].stretchDown = d.produced - pcm24.length / 3;
        return;
      }
      best[i].up = Math.min(best[i].up, u.us);
      best[i].down = Math.min(best[i].down, d.us);
    });
  }
  return best;
}

// ---------- quality, via the same streams ----------

const settle = (x: Int16Array, rate: number) => x.subarray((rate * SETTLE_MS) / 1000);
const range = (from: number, to: number, step: number) =>
  Array.from({ length: Math.floor((to - from) / step) + 1 }, (_, i) => from + i * step);

type OneShot = (x: Int16Array) => Int16Array;

function passbandRippleDb(resample: OneShot, inRate: number, outRate: number): number {
  const gains = range(300, 3400, 25).map((f) => {
    const tone = sine(f, inRate, 500);
    return toneLevelDb(settle(resample(tone), outRate), outRate, f) - toneLevelDb(tone, inRate, f);
  });
  return Math.max(...gains) - Math.min(...gains);
}

interface Worst {
  db: number;
  at: number;
}

function worstAliasDb(downsample: OneShot): Worst {
  const inBand = rmsDbfs(settle(downsample(sine(1000, 24000, 500, 0.9)), 8000));
  return range(4600, 11975, 25)
    .map((f) => ({ at: f, db: rmsDbfs(settle(downsample(sine(f, 24000, 500, 0.9)), 8000)) - inBand }))
    .reduce((a, b) => (b.db > a.db ? b : a));
}

function worstImageDb(upsample: OneShot): Worst {
  return range(300, 3400, 25)
    .flatMap((f) => {
      const out = settle(upsample(sine(f, 8000, 500, 0.9)), 24000);
      const tone = toneLevelDb(out, 24000, f);
      return [8000 - f, 8000 + f].map((image) => ({ at: image, db: toneLevelDb(out, 24000, image) - tone }));
    })
    .reduce((a, b) => (b.db > a.db ? b : a));
}

/** Output position of an impulse's peak minus its input position. */
function impulseDelayMs(resample: OneShot, inRate: number, outRate: number): number {
  const impulse = new Int16Array(inRate / 10);
  const at = 30; // a multiple of 3, so the decimated peak can land on a sample
  impulse[at] = 16384;
  const out = resample(impulse);
  let peak = 0;
  for (let i = 1; i < out.length; i++) if (Math.abs(out[i]) > Math.abs(out[peak])) peak = i;
  return 1000 * (peak / outRate - at / inRate);
}

interface Quality {
  rippleUp: number;
  rippleDown: number;
  image: Worst;
  alias: Worst;
  delayUp: number;
  delayDown: number;
}

function measureQuality(r: Resampler): Quality {
  const up: OneShot = (x) => oneShot((n) => r.up(n), 3, x);
  const down: OneShot = (x) => oneShot((n) => r.down(n), 1 / 3, x);
  return {
    rippleUp: passbandRippleDb(up, 8000, 24000),
    rippleDown: passbandRippleDb(down, 24000, 8000),
    image: worstImageDb(up),
    alias: worstAliasDb(down),
    delayUp: impulseDelayMs(up, 8000, 24000),
    delayDown: impulseDelayMs(down, 24000, 8000),
  };
}

// ---------- the comparison table ----------

function printResamplerTable(resamplers: Resampler[], speeds: Speed[], qualities: Map<string, Quality>, reference: number, baseline: number): void {
  const ratio = (x: number, of: number) => `${(x / of).toFixed(2)}×`;
  const header = [
    'resampler',
    'up µs',
    'up ÷naive',
    'up ÷speex5',
    'down µs',
    'down ÷naive',
    'down ÷speex5',
    'ripple up/down dB',
    'worst image dB',
    'worst alias dB',
    'delay up/down ms',
    'stretch up/down',
  ];
  const rows = resamplers.map((r, i) => {
    const s = speeds[i];
    const q = qualities.get(r.sameQualityAs ?? r.name)!;
    const worst = (w: Worst) => `${w.db.toFixed(1)} @ ${w.at}`;
    return [
      r.name,
      s.up.toFixed(2),
      ratio(s.up, speeds[baseline].up),
      ratio(s.up, speeds[reference].up),
      s.down.toFixed(2),
      ratio(s.down, speeds[baseline].down),
      ratio(s.down, speeds[reference].down),
      `${q.rippleUp.toFixed(3)} / ${q.rippleDown.toFixed(3)}`,
      worst(q.image),
      worst(q.alias),
      `${q.delayUp.toFixed(3)} / ${q.delayDown.toFixed(3)}`,
      `${s.stretchUp} / ${s.stretchDown}`,
    ];
  });
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c].length)));
  const line = (cells: string[]) => `| ${cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w, c) => (c === 0 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
  for (const row of rows) console.log(line(row));
}

// ---------- codec and whole-path timings (ours vs a naive equivalent) ----------

interface Case {
  name: string;
  ours: () => (i: number) => { length: number };
  baselineName: string;
  baseline: () => (i: number) => { length: number };
}

const repeat3 = (x: Int16Array) => {
  const out = new Int16Array(x.length * 3);
  for (let i = 0; i < x.length; i++) out[3 * i] = out[3 * i + 1] = out[3 * i + 2] = x[i];
  return out;
};
const takeEvery3rd = (x: Int16Array) => {
  const out = new Int16Array(Math.floor(x.length / 3));
  for (let i = 0; i < out.length; i++) out[i] = x[3 * i];
  return out;
};
const toLeBytes = (x: Int16Array) => Buffer.from(x.buffer, x.byteOffset, x.byteLength);
const fromLeBytes = (b: Buffer) => new Int16Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));

const cases: Case[] = [
  {
    name: 'pcm16ToMulaw (table)',
    ours: () => (i) => pcm16ToMulaw(frames8[i]),
    baselineName: 'alawmulaw mulaw.encode',
    baseline: () => (i) => mulaw.encode(frames8[i]),
  },
  {
    name: 'mulawToPcm16 (table)',
    ours: () => (i) => mulawToPcm16(mulawFrames[i]),
    baselineName: 'alawmulaw mulaw.decode',
    baseline: () => (i) => mulaw.decode(mulawFrames[i]),
  },
  {
    name: 'CallerToModel.convert (160 B -> 960 B)',
    ours: () => {
      const converter = new CallerToModel();
      return (i) => converter.convert(mulawFrames[i]);
    },
    baselineName: 'alawmulaw decode + repeat 3x',
    baseline: () => (i) => toLeBytes(repeat3(mulaw.decode(mulawFrames[i]))),
  },
  {
    name: 'ModelToCaller.convert (960 B -> 160 B)',
    ours: () => {
      const converter = new ModelToCaller();
      return (i) => converter.convert(pcm24leFrames[i]);
    },
    baselineName: 'every 3rd + alawmulaw encode',
    baseline: () => (i) => mulaw.encode(takeEvery3rd(fromLeBytes(pcm24leFrames[i]))),
  },
];

/** Runs `makeFrameFn()`'s function over all frames; returns µs per frame. A fresh fn per run = fresh state. */
function timeOnce(makeFrameFn: () => (i: number) => { length: number }): number {
  const perFrame = makeFrameFn();
  const start = process.hrtime.bigint();
  for (let i = 0; i < FRAMES; i++) sink += perFrame(i).length;
  return Number(process.hrtime.bigint() - start) / 1000 / FRAMES;
}

function runCodecTimings(): void {
  const rows = cases.map((c) => {
    timeOnce(c.ours); // warm-up
    timeOnce(c.baseline);
    let ours = Infinity;
    let base = Infinity;
    for (let r = 0; r < RUNS; r++) {
      ours = Math.min(ours, timeOnce(c.ours));
      base = Math.min(base, timeOnce(c.baseline));
    }
    return {
      'operation': c.name,
      'µs/frame': ours.toFixed(2),
      '× realtime': Math.round((FRAME_MS * 1000) / ours).toLocaleString('en-US'),
      'baseline': c.baselineName,
      'baseline µs/frame': base.toFixed(2),
      'time ours÷baseline': `${(ours / base).toFixed(2)}×`,
    };
  });
  console.table(rows);
}

async function main(): Promise<void> {
  if (process.argv.includes('--overview')) return overviewBench();
  const started = Date.now();
  const [speexSimd, speexPlain] = await Promise.all([loadSpeex(true), loadSpeex(false)]);
  const resamplers: Resampler[] = [
    ...(bestKernel() === 'wasm-simd' ? [ours('wasm-simd', `ours, WebAssembly SIMD (${PROTOTYPE.length} taps)`)] : []),
    ours('js', `ours, plain JS float64 (${PROTOTYPE.length} taps)`),
    ...SPEEX_QUALITIES.map((q) => speex(speexSimd, q, `speex q${q} SIMD`)),
    speex(speexPlain, 5, 'speex q5 no SIMD', 'speex q5 SIMD'),
    naive,
  ];
  const reference = resamplers.findIndex((r) => r.name === 'speex q5 SIMD');
  const baseline = resamplers.indexOf(naive);

  console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length}, ${new Date().toISOString().slice(0, 10)}`);
  console.log(`Resamplers: µs per ${FRAME_MS} ms frame (160 -> 480 samples up, 480 -> 160 down), streaming, best of ${RUNS} interleaved runs over ${AUDIO_SECONDS} s of audio;`);
  console.log('÷naive and ÷speex5 are time ratios to the naive row and to speex q5 SIMD from this same run (lower is faster).');
  console.log(`Quality: 25 Hz tone sweeps after ${SETTLE_MS} ms; ripple is peak-to-peak over 300-3400 Hz; image of 300-3400 Hz tones (8 kHz ± f) and alias of`);
  console.log('4.6-12 kHz input relative to an equal-level in-band tone; delay is the impulse peak; stretch is output samples over the 60 s');
  console.log('minus exactly 3x (or 1/3) the input. Limits: ripple ≤ 0.1 dB, image/alias ≤ -70 dB, delay ≤ 2 ms.\n');
  const speeds = timeResamplers(resamplers);
  const qualities = new Map<string, Quality>();
  for (const r of resamplers) if (!r.sameQualityAs) qualities.set(r.name, measureQuality(r));
  printResamplerTable(resamplers, speeds, qualities, reference, baseline);

  console.log(`\nCodec and whole path, 20 ms frames, best of ${RUNS} runs (ours and baseline interleaved)\n`);
  runCodecTimings();
  console.log(`\n(bench took ${((Date.now() - started) / 1000).toFixed(1)} s; checksum ${sink})`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
