import { bestKernel, Downsampler3, type ResamplerKernel, Upsampler3 } from '../../src/audio';
import { fitTone, rmsDbfs, seededRandom, sine, toneLevelDb } from '../support/signal';

const MODEL_RATE = 24000;
const PHONE_RATE = 8000;
const TONE_MS = 500;
/** Output skipped before measuring, so the filter's start-up transient is not counted. */
const SETTLE_MS = 20;

function settled(samples: Int16Array, sampleRate: number): Int16Array {
  return samples.subarray(Math.round((sampleRate * SETTLE_MS) / 1000));
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

/** Every kernel this engine can run: the WebAssembly SIMD one where available, and the plain JS fallback. */
const KERNELS: ResamplerKernel[] = bestKernel() === 'wasm-simd' ? ['wasm-simd', 'js'] : ['js'];

/** Level of the alias/image left by the filter, relative to the tone: ≤ -80 dB is the design target (-70 dB the floor). */
const REJECTION_DB = -80;

describe.each(KERNELS)('Downsampler3 (24 kHz -> 8 kHz), %s kernel', (kernel) => {
  const make = () => new Downsampler3({ kernel });
  const downsampleTone = (freqHz: number, amplitude = 0.5) =>
    settled(make().process(sine(freqHz, MODEL_RATE, TONE_MS, amplitude)), PHONE_RATE);
  const inputLevel = toneLevelDb(sine(1000, MODEL_RATE, TONE_MS), MODEL_RATE, 1000);

  it('is flat within 0.1 dB over 300-3400 Hz, around unity gain', () => {
    const gains = passbandGains((f) => downsampleTone(f), PHONE_RATE, inputLevel);
    expect(spread(gains)).toBeLessThanOrEqual(0.1);
    for (const g of gains) expect(Math.abs(g)).toBeLessThanOrEqual(0.1);
  });

  it('passes 300, 1000 and 3300 Hz within 0.1 dB and leaves aliases of 5, 8 and 11 kHz 80 dB down', () => {
    for (const f of [300, 1000, 3300]) expect(Math.abs(toneLevelDb(downsampleTone(f), PHONE_RATE, f) - inputLevel)).toBeLessThanOrEqual(0.1);
    const inBand = rmsDbfs(downsampleTone(1000, 0.9));
    for (const f of [5000, 8000, 11000]) expect(rmsDbfs(downsampleTone(f, 0.9)) - inBand).toBeLessThanOrEqual(REJECTION_DB);
  });

  it('rejects 4.6-12 kHz content by at least 80 dB relative to an in-band tone', () => {
    const inBand = rmsDbfs(downsampleTone(1000, 0.9));
    // Everything left in the output is alias (or rounding noise), so measure all of it.
    const aliasDb = (f: number) => rmsDbfs(downsampleTone(f, 0.9)) - inBand;
    const sweep = range(4600, 11950, 50).map((f) => ({ f, db: aliasDb(f) }));
    expect(sweep.filter(({ db }) => db > REJECTION_DB)).toEqual([]);
  });

  it('(for contrast) taking every 3rd sample without filtering aliases 5 kHz at ~0 dB', () => {
    const every3rd = (x: Int16Array) => x.filter((_, i) => i % 3 === 0);
    const inBand = rmsDbfs(every3rd(sine(1000, MODEL_RATE, TONE_MS, 0.9)));
    expect(rmsDbfs(every3rd(sine(5000, MODEL_RATE, TONE_MS, 0.9))) - inBand).toBeGreaterThan(-0.5);
  });

  it('delays by 12 output samples (1.5 ms), linear phase', () => {
    const output = make().process(impulseAt(30, 300));
    const peak = peakIndex(output);
    expect(peak / PHONE_RATE - 30 / MODEL_RATE).toBeCloseTo(0.0015, 9);
    expect(Downsampler3.DELAY).toBe(12);
    for (let d = 1; d <= 12; d++) expect(output[peak - d]).toBe(output[peak + d]); // symmetric impulse response
    const tone = sine(200, MODEL_RATE, TONE_MS);
    const delayMs = toneDelayMs(tone, MODEL_RATE, make().process(tone), PHONE_RATE, 200);
    expect(delayMs).toBeCloseTo(1.5, 2);
  });

  it('emits floor(n/3) samples per call and keeps the remainder for the next call', () => {
    const down = make();
    expect(down.process(new Int16Array(4))).toHaveLength(1); // 1 left over
    expect(down.outputLength(1)).toBe(0);
    expect(down.process(new Int16Array(1))).toHaveLength(0); // 2 left over
    expect(down.outputLength(1)).toBe(1);
    expect(down.process(new Int16Array(1))).toHaveLength(1); // 0 left over
    expect(down.process(new Int16Array(0))).toHaveLength(0);
    expect(down.process(new Int16Array(480))).toHaveLength(160);
  });

  it('gives bit-identical output for any chunking, including odd sizes and chunks longer than a kernel block', () => {
    const input = noise(24000, 1);
    const whole = make().process(input);
    expect(whole).toHaveLength(8000);
    const random = seededRandom(2);
    const randomSizes = Array.from({ length: 97 }, () => Math.floor(random() * 700));
    for (const sizes of [[1], [2], [4], [5, 7, 1], [479, 481], [7001, 2], [13], randomSizes]) {
      expect(processInChunks(make(), input, sizes)).toEqual(whole);
    }
  });

  it('processInto writes the same samples into a caller-owned buffer, and refuses one too short', () => {
    const input = noise(4801, 8);
    const expected = processInChunks(make(), input, [480]);
    const down = make();
    const out = new Int16Array(161);
    const parts: number[] = [];
    for (let at = 0; at < input.length; at += 480) {
      const n = down.processInto(input.subarray(at, at + 480), out);
      parts.push(...out.subarray(0, n));
    }
    expect(Int16Array.from(parts)).toEqual(expected);
    expect(() => make().processInto(new Int16Array(6), new Int16Array(1))).toThrow(RangeError);
  });

  it('keeps instances apart when calls interleave', () => {
    const [a, b] = [noise(9000, 9), noise(9000, 10)];
    const [aAlone, bAlone] = [make().process(a), make().process(b)];
    const [da, db] = [make(), make()];
    const [aParts, bParts]: number[][] = [[], []];
    for (let at = 0; at < a.length; at += 481) {
      aParts.push(...da.process(a.subarray(at, at + 481)));
      bParts.push(...db.process(b.subarray(at, at + 481)));
    }
    expect(Int16Array.from(aParts)).toEqual(aAlone);
    expect(Int16Array.from(bParts)).toEqual(bAlone);
  });

  it('saturates instead of wrapping on full-scale square waves', () => {
    const square = Int16Array.from({ length: 4800 }, (_, i) => (i % 240 < 120 ? 32767 : -32768));
    const out = make().process(square);
    expect(Math.max(...out)).toBe(32767);
    expect(Math.min(...out)).toBe(-32768);
    // Away from the edges the output keeps the input's sign (12 samples = the delay).
    for (let m = 40; m < out.length; m++) {
      const phase = (3 * (m - 12)) % 240;
      if (phase > 30 && phase < 90) expect(out[m]).toBeGreaterThan(30000);
      if (phase > 150 && phase < 210) expect(out[m]).toBeLessThan(-30000);
    }
  });

  it('passes DC at unity gain and starts over after reset()', () => {
    const down = make();
    const dc = down.process(new Int16Array(3000).fill(10000));
    expect(Math.abs(dc[dc.length - 1] - 10000)).toBeLessThanOrEqual(1);
    down.process(new Int16Array(2).fill(5000)); // leaves 2 samples pending
    down.reset();
    const input = noise(999, 3);
    expect(down.process(input)).toEqual(make().process(input));
  });
});

describe.each(KERNELS)('Upsampler3 (8 kHz -> 24 kHz), %s kernel', (kernel) => {
  const make = () => new Upsampler3({ kernel });
  const upsampleTone = (freqHz: number, amplitude = 0.5) =>
    settled(make().process(sine(freqHz, PHONE_RATE, TONE_MS, amplitude)), MODEL_RATE);
  const inputLevel = toneLevelDb(sine(1000, PHONE_RATE, TONE_MS), PHONE_RATE, 1000);
  /** Images of an in-band tone: 8 kHz ± f. */
  const imagesDb = (f: number) => {
    const out = upsampleTone(f, 0.9);
    const toneDb = toneLevelDb(out, MODEL_RATE, f);
    return [8000 - f, 8000 + f].map((image) => ({ f, image, db: toneLevelDb(out, MODEL_RATE, image) - toneDb }));
  };

  it('is flat within 0.1 dB over 300-3400 Hz, around unity gain', () => {
    const gains = passbandGains((f) => upsampleTone(f), MODEL_RATE, inputLevel);
    expect(spread(gains)).toBeLessThanOrEqual(0.1);
    for (const g of gains) expect(Math.abs(g)).toBeLessThanOrEqual(0.1);
  });

  it('passes 300, 1000 and 3300 Hz within 0.1 dB, with their images 80 dB down', () => {
    for (const f of [300, 1000, 3300]) {
      expect(Math.abs(toneLevelDb(upsampleTone(f), MODEL_RATE, f) - inputLevel)).toBeLessThanOrEqual(0.1);
      for (const { db } of imagesDb(f)) expect(db).toBeLessThanOrEqual(REJECTION_DB);
    }
  });

  it('keeps images of in-band tones (at 8k ± f) at least 80 dB below the tone', () => {
    const images = range(300, 3400, 50).flatMap(imagesDb);
    expect(images.filter(({ db }) => db > REJECTION_DB)).toEqual([]);
  });

  it('delays by 37 samples at 24 kHz (1.542 ms), linear phase', () => {
    const output = make().process(impulseAt(10, 100));
    const peak = peakIndex(output);
    expect(peak - 3 * 10).toBe(37);
    expect(Upsampler3.DELAY).toBe(37);
    for (let d = 1; d <= 37; d++) expect(output[peak - d]).toBe(output[peak + d]);
    const tone = sine(200, PHONE_RATE, TONE_MS);
    const delayMs = toneDelayMs(tone, PHONE_RATE, make().process(tone), MODEL_RATE, 200);
    expect(delayMs).toBeCloseTo((37 / 24000) * 1000, 2);
    expect(delayMs).toBeLessThanOrEqual(2);
  });

  it('emits exactly 3 samples per input sample', () => {
    const up = make();
    for (const n of [0, 1, 2, 160, 161, 5000]) expect(up.process(new Int16Array(n))).toHaveLength(3 * n);
  });

  it('gives bit-identical output for any chunking, including odd sizes and chunks longer than a kernel block', () => {
    const input = noise(8000, 4);
    const whole = make().process(input);
    const random = seededRandom(5);
    const randomSizes = Array.from({ length: 61 }, () => Math.floor(random() * 300));
    for (const sizes of [[1], [2], [3, 1], [159, 161], [5001, 7], [13], randomSizes]) {
      expect(processInChunks(make(), input, sizes)).toEqual(whole);
    }
  });

  it('processInto writes the same samples into a caller-owned buffer, and refuses one too short', () => {
    const input = noise(1601, 11);
    const expected = processInChunks(make(), input, [160]);
    const up = make();
    const out = new Int16Array(480);
    const parts: number[] = [];
    for (let at = 0; at < input.length; at += 160) {
      const n = up.processInto(input.subarray(at, at + 160), out);
      parts.push(...out.subarray(0, n));
    }
    expect(Int16Array.from(parts)).toEqual(expected);
    expect(() => make().processInto(new Int16Array(2), new Int16Array(5))).toThrow(RangeError);
  });

  it('keeps instances apart when calls interleave', () => {
    const [a, b] = [noise(3000, 12), noise(3000, 13)];
    const [aAlone, bAlone] = [make().process(a), make().process(b)];
    const [ua, ub] = [make(), make()];
    const [aParts, bParts]: number[][] = [[], []];
    for (let at = 0; at < a.length; at += 161) {
      aParts.push(...ua.process(a.subarray(at, at + 161)));
      bParts.push(...ub.process(b.subarray(at, at + 161)));
    }
    expect(Int16Array.from(aParts)).toEqual(aAlone);
    expect(Int16Array.from(bParts)).toEqual(bAlone);
  });

  it('saturates instead of wrapping on full-scale square waves', () => {
    const square = Int16Array.from({ length: 1600 }, (_, i) => (i % 80 < 40 ? 32767 : -32768));
    const out = make().process(square);
    expect(Math.max(...out)).toBe(32767);
    expect(Math.min(...out)).toBe(-32768);
    for (let n = 120; n < out.length; n++) {
      const phase = (n - 37 + 2400) % 240;
      if (phase > 30 && phase < 90) expect(out[n]).toBeGreaterThan(30000);
      if (phase > 150 && phase < 210) expect(out[n]).toBeLessThan(-30000);
    }
  });

  it('passes DC at unity gain and starts over after reset()', () => {
    const up = make();
    const dc = up.process(new Int16Array(1000).fill(10000));
    // Each group of 3 outputs averages to the input exactly; single outputs carry the DC's
    // 8 kHz image, ≤ -80 dB (≤ 2 LSB at this level).
    const last3 = dc.subarray(-3);
    expect(Math.abs(last3.reduce((a, b) => a + b, 0) / 3 - 10000)).toBeLessThanOrEqual(0.5);
    for (const v of last3) expect(Math.abs(v - 10000)).toBeLessThanOrEqual(2);
    up.reset();
    const input = noise(333, 6);
    expect(up.process(input)).toEqual(make().process(input));
  });
});

const describeWithSimd = KERNELS.includes('wasm-simd') ? describe : describe.skip;

describeWithSimd('WebAssembly SIMD and plain JS kernels', () => {
  // float32 in one, float64 in the other: outputs may round differently by one step, never more.
  const maxDifference = (a: Int16Array, b: Int16Array) => a.reduce((worst, v, i) => Math.max(worst, Math.abs(v - b[i])), 0);

  it('agree to within 1 LSB on full-scale noise', () => {
    const input = noise(48000, 14);
    const up = [new Upsampler3({ kernel: 'wasm-simd' }).process(input), new Upsampler3({ kernel: 'js' }).process(input)];
    expect(up[0]).toHaveLength(up[1].length);
    expect(maxDifference(up[0], up[1])).toBeLessThanOrEqual(1);
    const down = [new Downsampler3({ kernel: 'wasm-simd' }).process(input), new Downsampler3({ kernel: 'js' }).process(input)];
    expect(down[0]).toHaveLength(down[1].length);
    expect(maxDifference(down[0], down[1])).toBeLessThanOrEqual(1);
  });

  it('is what resamplers run by default', () => {
    expect(new Upsampler3().kernel).toBe('wasm-simd');
    expect(new Downsampler3().kernel).toBe('wasm-simd');
  });
});
