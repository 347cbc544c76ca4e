import { levelDbfs, mulawLevelDbfs, mulawToPcm16, SILENCE_DBFS } from '../../src/audio';
import { rmsDbfs, sine } from '../support/signal';

describe('levelDbfs', () => {
  it('reads a full-scale sine as -3.01 dBFS and a half-scale one 6 dB lower', () => {
    expect(levelDbfs(sine(1000, 8000, 100, 1))).toBeCloseTo(-3.01, 2);
    expect(levelDbfs(sine(1000, 8000, 100, 0.5))).toBeCloseTo(-9.03, 2);
  });

  it('agrees with the test helper rmsDbfs', () => {
    const tone = sine(440, 8000, 100, 0.01);
    expect(levelDbfs(tone)).toBeCloseTo(rmsDbfs(tone), 9);
  });

  it('clamps silence and empty input to SILENCE_DBFS instead of -Infinity', () => {
    expect(SILENCE_DBFS).toBe(-120);
    expect(levelDbfs(new Int16Array(160))).toBe(-120);
    expect(levelDbfs(new Int16Array(0))).toBe(-120);
  });

  it('measures μ-law audio as its decoded samples would read', () => {
    const bytes = Uint8Array.from({ length: 160 }, (_, i) => (i * 37 + 11) % 256);
    expect(mulawLevelDbfs(bytes)).toBeCloseTo(levelDbfs(mulawToPcm16(bytes)), 10);
    expect(mulawLevelDbfs(new Uint8Array(0))).toBe(SILENCE_DBFS);
  });
});
