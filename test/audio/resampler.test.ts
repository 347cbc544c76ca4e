import { Downsampler3, Upsampler3 } from '../../src/audio';
import { fitTone, rmsDbfs, seededRandom, sine, toneLevelDb } from '../support/signal';

const MODEL_RATE = 24000;
const PHONE_RATE = 8000;
const TONE_MS = 500;
/** Output skipped before measuring, so the filter's start-up transient is not counted. */
const SETTLE_MS = 20;

function settled(samples: Int16Array, sampleRate: number): Int16Array {
  return samples.subarray(Math.round((sampleRate * SETTLE_MS) / 1000));
}

function downsampleTone(freqHz: number, amplitude = 0.5): Int16Array {
  return settled(new Downsampler3().process(sine(freqHz, MODEL_RATE, TONE_MS, amplitude)), PHONE_RATE);
}

function upsampleTone(freqHz: number, amplitude = 0.5): Int16Array {
  return settled(new Upsampler3().process(sine(freqHz, PHONE_RATE, TONE_MS, amplitude)), MODEL_RATE);
}

/** Gain in dB a tone gets through a resampler, over the telephone band. */
function passbandGains(resample: (freqHz: number) => Int16Array, outputRate: number, inputLevelDb: number): number[] {
  return range(300, 3400, 50).map((f) => toneLevelDb(resample(f), outputRate, f) - inputLevelDb);
}

const spread = (values: number[]) => Math.max(...values) - Math.min(...values);

/** from, from+step, … up to and including `to`. */
const range = (from: number, to: number, step: number) =>
  Array.from({ length: Math.floor((to - from) / step) + 1 }, (_, i) => from + i * step);

/** Concatenates the outputs of feeding `input` in chunks of the given sizes (cycled). */
function processInChunks(processor: { process(x: Int16Array): Int16Array }, input: Int16Array, sizes: number[]): Int16Array {
  const parts: Int16Array[] = [];
  for (let at = 0, i = 0; at < input.length; i++) {
    const size = sizes[i % sizes.length];
    parts.push(processor.process(input.subarray(at, at + size)));
    at += size;
  }
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
  return out;
}

/** Broadband noise near full scale, so chunking tests exercise every filter tap and saturation. */
function noise(count: number, seed: number): Int16Array {
  const random = seededRandom(seed);
  return Int16Array.from({ length: count }, () => Math.round((random() * 2 - 1) * 32767));
}

function impulseAt(index: number, length: number): Int16Array {
  const x = new Int16Array(length);
  x[index] = 16384;
  return x;
}

function peakIndex(x: Int16Array): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (Math.abs(x[i]) > Math.abs(x[best])) best = i;
  return best;
}

/** Delay from a tone's phase lag: unambiguous below 1/freq, exact for a linear-phase filter. */
function toneDelayMs(input: Int16Array, inputRate: number, output: Int16Array, outputRate: number, freqHz: number): number {
  const phaseIn = fitTone(input, inputRate, freqHz).phase;
  const phaseOut = fitTone(output, outputRate, freqHz).phase;
  const lag = (((phaseIn - phaseOut) % (2 * Math.PI)) + 2 * Math.PI) % (2 * Math.PI);
  return (1000 * lag) / (2 * Math.PI * freqHz);
}

describe('Downsampler3 (24 kHz -> 8 kHz)', () => {
  const inputLevel = toneLevelDb(sine(1000, MODEL_RATE, TONE_MS), MODEL_RATE, 1000);

  it('is flat within 0.1 dB over 300-3400 Hz, around unity gain', () => {
    const gains = passbandGains((f) => downsampleTone(f), PHONE_RATE, inputLevel);
    expect(spread(gains)).toBeLessThanOrEqual(0.1);
    for (const g of gains) expect(Math.abs(g)).toBeLessThanOrEqual(0.1);
  });

  it('rejects 4.6-12 kHz content by at least 70 dB relative to an in-band tone', () => {
    const inBand = rmsDbfs(downsampleTone(1000, 0.9));
    // Everything left in the output is alias (or rounding noise), so measure all of it.
    const aliasDb = (f: number) => rmsDbfs(downsampleTone(f, 0.9)) - inBand;
    const sweep = range(4600, 11950, 50).map((f) => ({ f, db: aliasDb(f) }));
    expect(sweep.filter(({ db }) => db > -70)).toEqual([]);
  });

  it('(for contrast) taking every 3rd sample without filtering aliases 5 kHz at ~0 dB', () => {
    const every3rd = (x: Int16Array) => x.filter((_, i) => i % 3 === 0);
    const inBand = rmsDbfs(every3rd(sine(1000, MODEL_RATE, TONE_MS, 0.9)));
    expect(rmsDbfs(every3rd(sine(5000, MODEL_RATE, TONE_MS, 0.9))) - inBand).toBeGreaterThan(-0.5);
  });

  it('delays by 15 output samples (1.875 ms), linear phase', () => {
    const output = new Downsampler3().process(impulseAt(30, 300));
    const peak = peakIndex(output);
    expect(peak / PHONE_RATE - 30 / MODEL_RATE).toBeCloseTo(0.001875, 9);
    for (let d = 1; d <= 15; d++) expect(output[peak - d]).toBe(output[peak + d]); // symmetric impulse response
    const tone = sine(200, MODEL_RATE, TONE_MS);
    const delayMs = toneDelayMs(tone, MODEL_RATE, new Downsampler3().process(tone), PHONE_RATE, 200);
    expect(delayMs).toBeCloseTo(1.875, 2);
  });

  it('emits floor(n/3) samples per call and keeps the remainder for the next call', () => {
    const down = new Downsampler3();
    expect(down.process(new Int16Array(4))).toHaveLength(1); // 1 left over
    expect(down.process(new Int16Array(1))).toHaveLength(0); // 2 left over
    expect(down.process(new Int16Array(1))).toHaveLength(1); // 0 left over
    expect(down.process(new Int16Array(0))).toHaveLength(0);
    expect(down.process(new Int16Array(480))).toHaveLength(160);
  });

  it('gives bit-identical output for any chunking', () => {
    const input = noise(24000, 1);
    const whole = new Downsampler3().process(input);
    expect(whole).toHaveLength(8000);
    const random = seededRandom(2);
    const randomSizes = Array.from({ length: 97 }, () => Math.floor(random() * 700));
    for (const sizes of [[1], [2], [4], [5, 7, 1], [479, 481], randomSizes]) {
      expect(processInChunks(new Downsampler3(), input, sizes)).toEqual(whole);
    }
  });

  it('saturates instead of wrapping on full-scale square waves', () => {
    const square = Int16Array.from({ length: 4800 }, (_, i) => (i % 240 < 120 ? 32767 : -32768));
    const out = new Downsampler3().process(square);
    expect(Math.max(...out)).toBe(32767);
    expect(Math.min(...out)).toBe(-32768);
    // Away from the edges the output keeps the input's sign (15 samples = the delay).
    for (let m = 40; m < out.length; m++) {
      const phase = (3 * (m - 15)) % 240;
      if (phase > 30 && phase < 90) expect(out[m]).toBeGreaterThan(30000);
      if (phase > 150 && phase < 210) expect(out[m]).toBeLessThan(-30000);
    }
  });

  it('passes DC at unity gain and starts over after reset()', () => {
    const down = new Downsampler3();
    const dc = down.process(new Int16Array(3000).fill(10000));
    expect(Math.abs(dc[dc.length - 1] - 10000)).toBeLessThanOrEqual(1);
    down.reset();
    const input = noise(999, 3);
    expect(down.process(input)).toEqual(new Downsampler3().process(input));
  });
});

describe('Upsampler3 (8 kHz -> 24 kHz)', () => {
  const inputLevel = toneLevelDb(sine(1000, PHONE_RATE, TONE_MS), PHONE_RATE, 1000);

  it('is flat within 0.1 dB over 300-3400 Hz, around unity gain', () => {
    const gains = passbandGains((f) => upsampleTone(f), MODEL_RATE, inputLevel);
    expect(spread(gains)).toBeLessThanOrEqual(0.1);
    for (const g of gains) expect(Math.abs(g)).toBeLessThanOrEqual(0.1);
  });

  it('keeps images of in-band tones (at 8k ± f) at least 70 dB below the tone', () => {
    const images = range(300, 3400, 50).flatMap((f) => {
      const out = upsampleTone(f, 0.9);
      const toneDb = toneLevelDb(out, MODEL_RATE, f);
      return [8000 - f, 8000 + f].map((image) => ({ f, image, db: toneLevelDb(out, MODEL_RATE, image) - toneDb }));
    });
    expect(images.filter(({ db }) => db > -70)).toEqual([]);
  });

  it('delays by 47 samples at 24 kHz (1.958 ms), linear phase', () => {
    const output = new Upsampler3().process(impulseAt(10, 100));
    const peak = peakIndex(output);
    expect(peak - 3 * 10).toBe(47);
    for (let d = 1; d <= 47; d++) expect(output[peak - d]).toBe(output[peak + d]);
    const tone = sine(200, PHONE_RATE, TONE_MS);
    const delayMs = toneDelayMs(tone, PHONE_RATE, new Upsampler3().process(tone), MODEL_RATE, 200);
    expect(delayMs).toBeCloseTo((47 / 24000) * 1000, 2);
    expect(delayMs).toBeLessThanOrEqual(2);
  });

  it('emits exactly 3 samples per input sample', () => {
    const up = new Upsampler3();
    for (const n of [0, 1, 2, 160, 161]) expect(up.process(new Int16Array(n))).toHaveLength(3 * n);
  });

  it('gives bit-identical output for any chunking', () => {
    const input = noise(8000, 4);
    const whole = new Upsampler3().process(input);
    const random = seededRandom(5);
    const randomSizes = Array.from({ length: 61 }, () => Math.floor(random() * 300));
    for (const sizes of [[1], [2], [3, 1], [159, 161], randomSizes]) {
      expect(processInChunks(new Upsampler3(), input, sizes)).toEqual(whole);
    }
  });

  it('saturates instead of wrapping on full-scale square waves', () => {
    const square = Int16Array.from({ length: 1600 }, (_, i) => (i % 80 < 40 ? 32767 : -32768));
    const out = new Upsampler3().process(square);
    expect(Math.max(...out)).toBe(32767);
    expect(Math.min(...out)).toBe(-32768);
    for (let n = 120; n < out.length; n++) {
      const phase = (n - 47 + 2400) % 240;
      if (phase > 30 && phase < 90) expect(out[n]).toBeGreaterThan(30000);
      if (phase > 150 && phase < 210) expect(out[n]).toBeLessThan(-30000);
    }
  });

  it('passes DC at unity gain and starts over after reset()', () => {
    const up = new Upsampler3();
    const dc = up.process(new Int16Array(1000).fill(10000));
    for (const v of dc.subarray(-3)) expect(Math.abs(v - 10000)).toBeLessThanOrEqual(1);
    up.reset();
    const input = noise(333, 6);
    expect(up.process(input)).toEqual(new Upsampler3().process(input));
  });
});
