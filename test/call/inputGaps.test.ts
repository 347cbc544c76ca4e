import { mulawSilence } from '../../src/audio';
import { InputGapFiller } from '../../src/call/inputGaps';

describe('InputGapFiller', () => {
  it('leaves a steady 20 ms stream and small jitter alone', () => {
    const gaps = new InputGapFiller();
    expect([0, 20, 40, 75, 95].map((t) => gaps.gapBefore(t, 20))).toEqual([0, 0, 0, 0, 0]);
  });

  it('fills a jump in the timeline, capped at 10 s', () => {
    const gaps = new InputGapFiller();
    gaps.gapBefore(0, 20);
    expect(gaps.gapBefore(520, 20)).toBe(500);
    expect(gaps.gapBefore(60_540, 20)).toBe(10_000);
  });

  it('does not fill again what was already filled', () => {
    const gaps = new InputGapFiller();
    gaps.gapBefore(0, 20);
    gaps.filled(1000);
    expect(gaps.gapBefore(1020, 20)).toBe(0);
  });

  it('makes μ-law silence of the right length', () => {
    expect(mulawSilence(20)).toEqual(Buffer.alloc(160, 0xff));
  });
});
