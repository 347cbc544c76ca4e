import { designEquirippleLowpass, magnitudeAt } from '../../src/audio/firDesign';
import { DECIMATOR_DELAY, DECIMATOR_TAPS, INTERPOLATOR_DELAY, PROTOTYPE } from '../../src/audio/telephonyFilter';

const RATE = 24000;
const db = (gain: number) => 20 * Math.log10(gain);

/** Peak-to-peak passband ripple (dB) and worst stopband gain (dB), on a 5 Hz grid. */
function response(taps: ArrayLike<number>, passEdge: number, stopEdge: number): { ripple: number; stopband: number } {
  let low = Infinity;
  let high = -Infinity;
  for (let f = 0; f <= passEdge; f += 5) {
    const g = db(magnitudeAt(taps, f, RATE));
    low = Math.min(low, g);
    high = Math.max(high, g);
  }
  let stop = 0;
  for (let f = stopEdge; f <= RATE / 2; f += 5) stop = Math.max(stop, magnitudeAt(taps, f, RATE));
  return { ripple: high - low, stopband: db(stop) };
}

describe('designEquirippleLowpass (Parks–McClellan)', () => {
  const spec = { taps: 75, sampleRateHz: RATE, passbandEdgeHz: 3400, stopbandEdgeHz: 4600, stopbandWeight: 60 };

  it('returns a symmetric filter with unity gain at DC', () => {
    const { taps } = designEquirippleLowpass(spec);
    expect(taps).toHaveLength(75);
    for (let n = 0; n < 37; n++) expect(taps[n]).toBe(taps[74 - n]);
    expect(taps.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it('is equiripple: its measured peak errors are the ones it reports, in the weighted ratio', () => {
    const { taps, passbandError, stopbandError } = designEquirippleLowpass(spec);
    expect(passbandError / stopbandError).toBeCloseTo(60, 6);
    let passPeak = 0;
    for (let f = 0; f <= 3400; f += 5) passPeak = Math.max(passPeak, Math.abs(magnitudeAt(taps, f, RATE) - 1));
    let stopPeak = 0;
    for (let f = 4600; f <= 12000; f += 5) stopPeak = Math.max(stopPeak, magnitudeAt(taps, f, RATE));
    // DC normalisation shifts the passband by up to δp; the stopband error is as designed.
    expect(passPeak).toBeLessThanOrEqual(2.05 * passbandError);
    expect(stopPeak).toBeGreaterThan(0.97 * stopbandError);
    expect(stopPeak).toBeLessThan(1.03 * stopbandError);
  });

  it('trades ripple for rejection through the weight, at a fixed length', () => {
    const loose = response(designEquirippleLowpass({ ...spec, stopbandWeight: 10 }).taps, 3400, 4600);
    const strict = response(designEquirippleLowpass({ ...spec, stopbandWeight: 200 }).taps, 3400, 4600);
    expect(strict.stopband).toBeLessThan(loose.stopband - 5);
    expect(strict.ripple).toBeGreaterThan(loose.ripple);
  });

  it('rejects even or tiny lengths and inverted bands', () => {
    expect(() => designEquirippleLowpass({ ...spec, taps: 74 })).toThrow(/odd/);
    expect(() => designEquirippleLowpass({ ...spec, taps: 1 })).toThrow(/odd/);
    expect(() => designEquirippleLowpass({ ...spec, passbandEdgeHz: 5000 })).toThrow(/edge/);
  });
});

describe('the telephony prototype', () => {
  it('meets the spec with margin: ripple ≤ 0.075 dB over 0-3400 Hz, ≤ -83 dB from 4.6 kHz', () => {
    const { ripple, stopband } = response(PROTOTYPE, 3400, 4600);
    expect(ripple).toBeLessThanOrEqual(0.075);
    expect(stopband).toBeLessThanOrEqual(-83);
  });

  it('has whole-sample delays under 2 ms each way', () => {
    expect(INTERPOLATOR_DELAY / 24).toBeLessThanOrEqual(2);
    expect(DECIMATOR_DELAY / 8).toBeLessThanOrEqual(2);
    // The decimator's taps: leading zeros, then the prototype, centre tap at 2 mod 3.
    const centre = DECIMATOR_TAPS.length - 1 - (PROTOTYPE.length - 1) / 2;
    expect(centre % 3).toBe(2);
    expect(DECIMATOR_TAPS.subarray(DECIMATOR_TAPS.length - PROTOTYPE.length)).toEqual(PROTOTYPE);
  });
});
