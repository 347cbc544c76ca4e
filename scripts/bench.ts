/**
 * Audio core benchmark: `npm run bench`.
 *
 * Machines are shared and noisy, so every cost is also printed as a ratio against a naive
 * baseline timed in the same run, interleaved with it, best of N. Quality numbers (ripple,
 * alias/image rejection, delay) are measured on synthetic tones through the public API.
 */
import { mulaw } from 'alawmulaw';
import { CallerToModel, Downsampler3, ModelToCaller, mulawToPcm16, pcm16ToMulaw, Upsampler3 } from '../src/audio';
import { rmsDbfs, sine, toneLevelDb } from '../test/support/signal';

const AUDIO_SECONDS = 60;
const FRAME_MS = 20;
const FRAMES = (AUDIO_SECONDS * 1000) / FRAME_MS;
const RUNS = 9;

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

// ---------- naive baselines (what the filters replace) ----------

const takeEvery3rd = (x: Int16Array) => {
  const out = new Int16Array(Math.floor(x.length / 3));
  for (let i = 0; i < out.length; i++) out[i] = x[3 * i];
  return out;
};
const repeat3 = (x: Int16Array) => {
  const out = new Int16Array(x.length * 3);
  for (let i = 0; i < x.length; i++) out[3 * i] = out[3 * i + 1] = out[3 * i + 2] = x[i];
  return out;
};
const toLeBytes = (x: Int16Array) => Buffer.from(x.buffer, x.byteOffset, x.byteLength);
const fromLeBytes = (b: Buffer) => new Int16Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));

// ---------- timing ----------

let sink = 0; // keeps results observable so nothing is optimised away

/** Runs `makeFrameFn()`'s function over all frames; returns µs per frame. A fresh fn per run = fresh state. */
function timeOnce(makeFrameFn: () => (i: number) => { length: number }): number {
  const perFrame = makeFrameFn();
  const start = process.hrtime.bigint();
  for (let i = 0; i < FRAMES; i++) sink += perFrame(i).length;
  return Number(process.hrtime.bigint() - start) / 1000 / FRAMES;
}

interface Case {
  name: string;
  ours: () => (i: number) => { length: number };
  baselineName: string;
  baseline: () => (i: number) => { length: number };
}

const cases: Case[] = [
  {
    name: 'Downsampler3 24k->8k',
    ours: () => {
      const downsampler = new Downsampler3();
      return (i) => downsampler.process(frames24[i]);
    },
    baselineName: 'take every 3rd',
    baseline: () => (i) => takeEvery3rd(frames24[i]),
  },
  {
    name: 'Upsampler3 8k->24k',
    ours: () => {
      const upsampler = new Upsampler3();
      return (i) => upsampler.process(frames8[i]);
    },
    baselineName: 'repeat each sample 3x',
    baseline: () => (i) => repeat3(frames8[i]),
  },
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
    name: 'CallerToModel (160 B -> 960 B)',
    ours: () => {
      const converter = new CallerToModel();
      return (i) => converter.convert(mulawFrames[i]);
    },
    baselineName: 'alawmulaw decode + repeat 3x',
    baseline: () => (i) => toLeBytes(repeat3(mulaw.decode(mulawFrames[i]))),
  },
  {
    name: 'ModelToCaller (960 B -> 160 B)',
    ours: () => {
      const converter = new ModelToCaller();
      return (i) => converter.convert(pcm24leFrames[i]);
    },
    baselineName: 'every 3rd + alawmulaw encode',
    baseline: () => (i) => mulaw.encode(takeEvery3rd(fromLeBytes(pcm24leFrames[i]))),
  },
];

function runTimings(): void {
  console.log(`Timing: ${AUDIO_SECONDS} s of audio in ${FRAME_MS} ms frames, best of ${RUNS} runs (ours and baseline interleaved)\n`);
  const rows = cases.map((c) => {
    timeOnce(c.ours); // warm-up, lets the JIT settle
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

// ---------- quality, via the public API ----------

const settle = (x: Int16Array, rate: number) => x.subarray(rate / 50);
const range = (from: number, to: number, step: number) =>
  Array.from({ length: Math.floor((to - from) / step) + 1 }, (_, i) => from + i * step);

function passbandRippleDb(resample: (x: Int16Array) => Int16Array, inRate: number, outRate: number): { ripple: number; worst: number } {
  const gains = range(300, 3400, 25).map((f) => {
    const tone = sine(f, inRate, 500);
    return toneLevelDb(settle(resample(tone), outRate), outRate, f) - toneLevelDb(tone, inRate, f);
  });
  return { ripple: Math.max(...gains) - Math.min(...gains), worst: Math.max(...gains.map(Math.abs)) };
}

function worstAliasDb(downsample: (x: Int16Array) => Int16Array): { db: number; at: number } {
  const inBand = rmsDbfs(settle(downsample(sine(1000, 24000, 500, 0.9)), 8000));
  return range(4600, 11975, 25)
    .map((f) => ({ at: f, db: rmsDbfs(settle(downsample(sine(f, 24000, 500, 0.9)), 8000)) - inBand }))
    .reduce((a, b) => (b.db > a.db ? b : a));
}

function worstImageDb(upsample: (x: Int16Array) => Int16Array): { db: number; at: number } {
  return range(300, 3400, 25)
    .flatMap((f) => {
      const out = settle(upsample(sine(f, 8000, 500, 0.9)), 24000);
      const tone = toneLevelDb(out, 24000, f);
      return [8000 - f, 8000 + f].map((image) => ({ at: image, db: toneLevelDb(out, 24000, image) - tone }));
    })
    .reduce((a, b) => (b.db > a.db ? b : a));
}

function impulseDelayMs(resample: (x: Int16Array) => Int16Array, inRate: number, outRate: number): number {
  const impulse = new Int16Array(inRate / 100);
  const at = 30; // a multiple of 3, so the decimated peak lands on a sample
  impulse[at] = 16384;
  const out = resample(impulse);
  let peak = 0;
  for (let i = 1; i < out.length; i++) if (Math.abs(out[i]) > Math.abs(out[peak])) peak = i;
  return 1000 * (peak / outRate - at / inRate);
}

function runQuality(): void {
  const down = (x: Int16Array) => new Downsampler3().process(x);
  const up = (x: Int16Array) => new Upsampler3().process(x);
  const db = (x: number, digits = 1) => `${x.toFixed(digits)} dB`;
  const at = (w: { db: number; at: number }) => `${db(w.db)} @ ${w.at} Hz`;
  const row = (measure: string, Downsampler3 = '', Upsampler3 = '', naive = '') => ({ measure, Downsampler3, Upsampler3, naive });
  const downRipple = passbandRippleDb(down, 24000, 8000);
  const upRipple = passbandRippleDb(up, 8000, 24000);
  console.log('\nQuality (limits: ripple ≤ 0.1 dB over 300-3400 Hz, alias/image ≤ -70 dB, delay ≤ 2 ms)\n');
  console.table([
    row('passband ripple 300-3400 Hz, peak-to-peak', db(downRipple.ripple, 3), db(upRipple.ripple, 3)),
    row('largest |gain| in 300-3400 Hz', db(downRipple.worst, 3), db(upRipple.worst, 3)),
    row('worst alias of 4.6-12 kHz input', at(worstAliasDb(down)), '', `every 3rd: ${at(worstAliasDb(takeEvery3rd))}`),
    row('worst image of 300-3400 Hz tones', '', at(worstImageDb(up)), `repeat 3x: ${at(worstImageDb(repeat3))}`),
    row('delay (impulse peak)', `${impulseDelayMs(down, 24000, 8000).toFixed(3)} ms`, `${impulseDelayMs(up, 8000, 24000).toFixed(3)} ms`),
  ]);
  console.log('(tone sweeps in 25 Hz steps; alias and image relative to an equal-level in-band tone)');
}

const started = Date.now();
runTimings();
runQuality();
console.log(`\n(bench took ${((Date.now() - started) / 1000).toFixed(1)} s; checksum ${sink})`);
