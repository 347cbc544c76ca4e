import { mulawToPcm16, pcm16ToMulaw } from '../../src/audio';
import { phoneAudio } from '../../src/softphone/audioCore';
import { dominantFrequency, toneLevelDb } from '../support/signal';

/**
 * The softphone page's DSP (public/phone/audio-core.js), run in Node: the very file the page's worklets load.
 */
const { CaptureEncoder, PlaybackQueue, Resampler, TELEPHONE_BAND } = phoneAudio;

function floatTone(freqHz: number, rate: number, seconds: number, amplitude = 0.5): Float32Array {
  const out = new Float32Array(Math.round(rate * seconds));
  for (let i = 0; i < out.length; i++) out[i] = amplitude * Math.sin((2 * Math.PI * freqHz * i) / rate);
  return out;
}

/** Floats (-1..1) as PCM16 for the signal helpers; a big `gain` keeps very quiet components above the rounding. */
function toInt16(samples: Float32Array, gain = 1): Int16Array {
  return Int16Array.from(samples, (v) => Math.max(-32768, Math.min(32767, Math.round(v * 32767 * gain))));
}

/** Feeds `input` in `block`-sized pieces, as a worklet does (128 frames a render quantum). */
function inBlocks<T>(input: Float32Array, block: number, feed: (piece: Float32Array) => T[]): T[] {
  const out: T[] = [];
  for (let i = 0; i < input.length; i += block) out.push(...feed(input.subarray(i, i + block)));
  return out;
}

function resample(input: Float32Array, from: number, to: number): Float32Array {
  const resampler = new Resampler(from, to, TELEPHONE_BAND);
  return Float32Array.from(inBlocks(input, 128, (piece) => [...resampler.process(piece)]));
}

describe('the softphone audio core', () => {
  it('encodes and decodes μ-law exactly as the server does', () => {
    for (let sample = -32768; sample < 32768; sample++) {
      if (phoneAudio.mulawEncodeSample(sample) !== pcm16ToMulaw(Int16Array.of(sample))[0]) throw new Error(`encodes ${sample} differently`);
    }
    for (let code = 0; code < 256; code++) expect(phoneAudio.mulawDecodeSample(code)).toBe(mulawToPcm16(Uint8Array.of(code))[0]);
  });

  it.each([44_100, 48_000, 16_000, 96_000])('turns %i Hz microphone audio into 20 ms μ-law frames at the right pitch and level', (rate) => {
    const encoder = new CaptureEncoder(rate);
    const frames = inBlocks(floatTone(1000, rate, 0.5), 128, (piece) => encoder.push(piece));
    expect(frames.length).toBeGreaterThanOrEqual(24);
    for (const frame of frames) expect(frame.mulaw).toHaveLength(160);
    const pcm = mulawToPcm16(Buffer.concat(frames.map((f) => f.mulaw))).subarray(400);
    expect(dominantFrequency(pcm, 8000)).toBeCloseTo(1000, 0);
    expect(toneLevelDb(pcm, 8000, 1000)).toBeCloseTo(-6.02, 1);
    expect(frames.at(-1)!.levelDbfs).toBeCloseTo(-9.03, 0);
  });

  it('keeps the telephone band flat and folds nothing audible into it when decimating', () => {
    for (const rate of [44_100, 48_000]) {
      for (const f of [300, 2000, 3400]) {
        expect(toneLevelDb(toInt16(resample(floatTone(f, rate, 0.3), rate, 8000)).subarray(400), 8000, f)).toBeCloseTo(-6.02, 0);
      }
      // Tones above 4 kHz would fold to 8000 - f (or f - 8000): they must be gone.
      for (const f of [4400, 6000, 7600, 9000]) {
        const alias = Math.abs(f - 8000 * Math.round(f / 8000));
        const level = toneLevelDb(toInt16(resample(floatTone(f, rate, 0.3), rate, 8000), 1000).subarray(400), 8000, alias) - 60;
        expect(level).toBeLessThan(-6 - 65);
      }
    }
  });

  it('gives the same frames whatever the block size', () => {
    const input = floatTone(700, 44_100, 0.2);
    const bytes = (block: number) => {
      const encoder = new CaptureEncoder(44_100);
      return Buffer.concat(inBlocks(input, block, (piece) => encoder.push(piece)).map((f) => f.mulaw));
    };
    expect(bytes(128).equals(bytes(1000))).toBe(true);
    expect(bytes(128).equals(bytes(37))).toBe(true);
  });

  describe('playback', () => {
    const mulawTone = (freqHz: number, ms: number) => {
      const pcm = new Int16Array(ms * 8);
      for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(16384 * Math.sin((2 * Math.PI * freqHz * i) / 8000));
      return pcm16ToMulaw(pcm);
    };
    /** Renders `ms` of output in 128-frame quanta; returns the samples and when (output frame) each mark was reported. */
    const render = (queue: InstanceType<typeof PlaybackQueue>, rate: number, ms: number) => {
      const out = new Float32Array(Math.round((rate * ms) / 1000));
      const marks: Array<{ name: string; frame: number }> = [];
      for (let i = 0; i < out.length; i += 128) {
        for (const name of queue.render(out.subarray(i, i + 128))) marks.push({ name, frame: i + 128 });
      }
      return { out, marks };
    };

    it.each([44_100, 48_000])('plays 8 kHz μ-law at %i Hz at the right pitch, without images', (rate) => {
      const queue = new PlaybackQueue(rate, { prebufferMs: 60 });
      queue.push(mulawTone(1000, 400));
      const { out } = render(queue, rate, 400);
      const steady = toInt16(out.subarray(Math.round(rate * 0.1), Math.round(rate * 0.3)));
      expect(dominantFrequency(steady, rate)).toBeCloseTo(1000, 0);
      expect(toneLevelDb(steady, rate, 1000)).toBeCloseTo(-6.02, 0);
      expect(toneLevelDb(steady, rate, 7000)).toBeLessThan(-6 - 65);
      expect(toneLevelDb(steady, rate, 9000)).toBeLessThan(-6 - 65);
    });

    it('reports each mark once the audio before it has played, not before', () => {
      const rate = 48_000;
      const queue = new PlaybackQueue(rate, { prebufferMs: 60 });
      for (let i = 0; i < 10; i++) {
        queue.push(mulawTone(500, 40));
        queue.mark(`m${i}`);
      }
      const { marks } = render(queue, rate, 600);
      expect(marks.map((m) => m.name)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8', 'm9']);
      // 400 ms queued up front: playback starts at once; mark i is due at (i + 1) * 40 ms, within one quantum.
      marks.forEach((m, i) => expect(Math.abs(m.frame - ((i + 1) * 40 * rate) / 1000)).toBeLessThanOrEqual(128));
      expect(queue.playing).toBe(false);
      expect(queue.stats).toMatchObject({ marksPlayed: 10, receivedMs: 400, starts: 1 });
      expect(queue.stats.playedMs).toBeCloseTo(400, 0);
    });

    it('waits for its jitter buffer before starting, or for as long as the buffer would take', () => {
      const rate = 48_000;
      const queue = new PlaybackQueue(rate, { prebufferMs: 60 });
      queue.push(mulawTone(500, 20));
      queue.mark('short');
      const { out, marks } = render(queue, rate, 200);
      const firstSound = out.findIndex((v) => Math.abs(v) > 0.01);
      expect(firstSound / rate).toBeGreaterThanOrEqual(0.06);
      expect(firstSound / rate).toBeLessThan(0.065);
      expect(marks).toEqual([{ name: 'short', frame: expect.any(Number) }]);
      expect(marks[0].frame / rate).toBeCloseTo(0.08, 2);
    });

    it('drops everything unplayed on clear, hands back the waiting marks at once, and plays what comes next', () => {
      const rate = 48_000;
      const queue = new PlaybackQueue(rate, { prebufferMs: 0 });
      for (let i = 0; i < 25; i++) {
        queue.push(mulawTone(500, 40));
        queue.mark(`a${i}`);
      }
      const first = render(queue, rate, 100);
      expect(first.marks.map((m) => m.name)).toEqual(['a0', 'a1']);
      expect(queue.playing).toBe(true);
      const flushed = queue.clear();
      expect(flushed).toHaveLength(23);
      expect(flushed[0]).toBe('a2');
      expect(queue.playing).toBe(false);
      const silent = render(queue, rate, 100);
      expect(silent.marks).toEqual([]);
      expect(Math.max(...silent.out.map(Math.abs))).toBe(0);
      queue.push(mulawTone(800, 200));
      queue.mark('b');
      const next = render(queue, rate, 300);
      expect(next.marks.map((m) => m.name)).toEqual(['b']);
      expect(dominantFrequency(toInt16(next.out.subarray(480, 5280)), rate)).toBeCloseTo(800, 0);
      expect(queue.stats).toMatchObject({ clears: 1, marksCleared: 23 });
    });
  });
});
