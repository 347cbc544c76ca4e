import { CallerToModel, ModelToCaller, mulawToPcm16, pcm16ToMulaw } from '../../src/audio';
import { dominantFrequency, seededRandom, sine, toneLevelDb } from '../support/signal';

const PHONE_RATE = 8000;
const MODEL_RATE = 24000;

/** Reads PCM16 little-endian bytes independently of the code under test. */
function fromLe(bytes: Buffer): Int16Array {
  return Int16Array.from({ length: bytes.length / 2 }, (_, i) => bytes.readInt16LE(2 * i));
}

function toLe(samples: Int16Array): Buffer {
  const bytes = Buffer.alloc(samples.length * 2);
  samples.forEach((s, i) => bytes.writeInt16LE(s, 2 * i));
  return bytes;
}

/** Splits `bytes` into consecutive chunks of the given sizes (cycled). */
function chunked(bytes: Uint8Array, sizes: number[]): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const size = sizes[i % sizes.length];
    chunks.push(bytes.subarray(at, at + size));
    at += size;
  }
  return chunks;
}

/** The first 20 ms holds the filters' start-up; measure after it. */
const settled = (x: Int16Array, rate: number) => x.subarray(rate / 50);

describe('CallerToModel (Twilio μ-law 8 kHz -> PCM16 LE 24 kHz)', () => {
  it('turns a 1 kHz μ-law tone into a 1 kHz 24 kHz tone at the same level', () => {
    const tone = sine(1000, PHONE_RATE, 500);
    const converter = new CallerToModel();
    const frames = chunked(pcm16ToMulaw(tone), [160]).map((frame) => converter.convert(frame));
    for (const frame of frames) expect(frame).toHaveLength(160 * 6);
    const out = settled(fromLe(Buffer.concat(frames)), MODEL_RATE);
    expect(Math.abs(dominantFrequency(out, MODEL_RATE) - 1000)).toBeLessThanOrEqual(5);
    expect(toneLevelDb(out, MODEL_RATE, 1000)).toBeCloseTo(toneLevelDb(tone, PHONE_RATE, 1000), 1);
  });

  it('writes little-endian samples equal to upsampled μ-law decoding', () => {
    // A steady code settles to its decoded value: check the exact bytes.
    const code = pcm16ToMulaw(Int16Array.of(-1000))[0];
    const out = new CallerToModel().convert(new Uint8Array(400).fill(code));
    const expected = mulawToPcm16(Uint8Array.of(code))[0];
    expect(out.readInt16LE(out.length - 2)).toBe(expected);
    expect([...out.subarray(-2)]).toEqual([expected & 0xff, (expected >> 8) & 0xff]);
  });

  it('gives the same bytes whatever the payload sizes', () => {
    const mulaw = pcm16ToMulaw(sine(440, PHONE_RATE, 200, 0.3));
    const whole = new CallerToModel().convert(mulaw);
    const converter = new CallerToModel();
    const pieces = chunked(mulaw, [1, 159, 7, 160, 33]).map((c) => converter.convert(c));
    expect(Buffer.concat(pieces)).toEqual(whole);
    expect(new CallerToModel().convert(new Uint8Array(0))).toHaveLength(0);
  });

  it('convertInto writes the same bytes into one reused buffer', () => {
    const mulaw = pcm16ToMulaw(sine(440, PHONE_RATE, 100, 0.3));
    const reference = new CallerToModel();
    const converter = new CallerToModel();
    const out = Buffer.alloc(960);
    for (const frame of chunked(mulaw, [160])) {
      expect(converter.convertInto(frame, out)).toBe(960);
      expect(out).toEqual(reference.convert(frame));
    }
    expect(() => converter.convertInto(new Uint8Array(160), Buffer.alloc(959))).toThrow(RangeError);
  });
});

describe('ModelToCaller (PCM16 LE 24 kHz -> Twilio μ-law 8 kHz)', () => {
  it('turns a 1 kHz 24 kHz tone into a 1 kHz μ-law tone at the same level', () => {
    const tone = sine(1000, MODEL_RATE, 500);
    const out = new ModelToCaller().convert(toLe(tone));
    expect(out).toHaveLength(tone.length / 3);
    const decoded = settled(mulawToPcm16(out), PHONE_RATE);
    expect(Math.abs(dominantFrequency(decoded, PHONE_RATE) - 1000)).toBeLessThanOrEqual(5);
    expect(toneLevelDb(decoded, PHONE_RATE, 1000)).toBeCloseTo(toneLevelDb(tone, MODEL_RATE, 1000), 1);
  });

  it('carries odd bytes and len%3 samples across deltas: output depends only on the concatenated input', () => {
    const pcm = toLe(sine(700, MODEL_RATE, 300, 0.4));
    const whole = new ModelToCaller().convert(pcm);
    const random = seededRandom(7);
    const randomSizes = Array.from({ length: 50 }, () => 1 + Math.floor(random() * 1001));
    for (const sizes of [[1], [3], [5, 2], [961, 959], randomSizes]) {
      const converter = new ModelToCaller();
      const pieces = chunked(pcm, sizes).map((c) => converter.convert(Buffer.from(c)));
      expect(Buffer.concat(pieces)).toEqual(whole);
    }
  });

  it('takes a long delta (seconds of audio) in one call like the same audio in pieces', () => {
    const pcm = toLe(sine(900, MODEL_RATE, 2500, 0.4));
    const whole = new ModelToCaller().convert(pcm);
    expect(whole).toHaveLength(20000);
    const converter = new ModelToCaller();
    expect(Buffer.concat(chunked(pcm, [4801, 960]).map((c) => converter.convert(Buffer.from(c))))).toEqual(whole);
  });

  it('convertInto writes the same bytes into one reused buffer; outputLength says how many', () => {
    const pcm = toLe(sine(700, MODEL_RATE, 100, 0.4));
    const reference = new ModelToCaller();
    const converter = new ModelToCaller();
    const out = Buffer.alloc(200);
    for (const piece of chunked(pcm, [961, 959, 7])) {
      const n = converter.outputLength(piece.length);
      expect(converter.convertInto(piece, out)).toBe(n);
      expect(out.subarray(0, n)).toEqual(reference.convert(piece));
    }
    expect(() => new ModelToCaller().convertInto(Buffer.alloc(960), Buffer.alloc(159))).toThrow(RangeError);
  });

  it('emits one μ-law byte per 6 input bytes, holding back partial samples', () => {
    const converter = new ModelToCaller();
    expect(converter.convert(Buffer.alloc(960))).toHaveLength(160); // one 20 ms frame
    expect(converter.convert(Buffer.alloc(5))).toHaveLength(0); // 2 samples + 1 byte held
    expect(converter.convert(Buffer.alloc(1))).toHaveLength(1);
    expect(converter.convert(Buffer.alloc(0))).toHaveLength(0);
  });

  it('reads Buffers that start at an odd byte offset (pooled slices)', () => {
    const pcm = toLe(sine(1000, MODEL_RATE, 60));
    const backing = new ArrayBuffer(pcm.length + 1);
    const odd = Buffer.from(backing, 1, pcm.length);
    pcm.copy(odd);
    expect(new ModelToCaller().convert(odd)).toEqual(new ModelToCaller().convert(pcm));
  });

  it('reset() drops carried bytes and filter history', () => {
    const converter = new ModelToCaller();
    converter.convert(toLe(sine(1000, MODEL_RATE, 10)).subarray(0, 7));
    converter.reset();
    const pcm = toLe(sine(500, MODEL_RATE, 40));
    expect(converter.convert(pcm)).toEqual(new ModelToCaller().convert(pcm));
  });
});

describe('round trip caller -> model -> caller', () => {
  it('keeps a 1 kHz tone at 1 kHz and at its level', () => {
    const tone = sine(1000, PHONE_RATE, 500);
    const up = new CallerToModel();
    const down = new ModelToCaller();
    const back = chunked(pcm16ToMulaw(tone), [160]).map((frame) => down.convert(up.convert(frame)));
    expect(Buffer.concat(back)).toHaveLength(tone.length);
    const decoded = settled(mulawToPcm16(Buffer.concat(back)), PHONE_RATE);
    expect(Math.abs(dominantFrequency(decoded, PHONE_RATE) - 1000)).toBeLessThanOrEqual(5);
    // The resamplers are transparent at 1 kHz; each μ-law quantisation nudges the level by ~0.03 dB.
    const levelChange = toneLevelDb(decoded, PHONE_RATE, 1000) - toneLevelDb(tone, PHONE_RATE, 1000);
    expect(Math.abs(levelChange)).toBeLessThan(0.2);
  });
});
