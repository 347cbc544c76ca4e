/** Windowed-sinc FIR design (Kaiser window): linear phase, computed from named parameters. */

export interface LowpassSpec {
  /** Odd, so the filter is symmetric around a whole sample (linear phase). */
  taps: number;
  cutoffHz: number;
  sampleRateHz: number;
  /** Kaiser window shape: larger trades a wider transition band for more stopband rejection. */
  kaiserBeta: number;
}

/** Modified Bessel function of the first kind, order 0, by its power series (converges fast for β ≤ ~20). */
function besselI0(x: number): number {
  const quarterXSquared = (x * x) / 4;
  let term = 1;
  let sum = 1;
  for (let k = 1; term > sum * 1e-17; k++) {
    term *= quarterXSquared / (k * k);
    sum += term;
  }
  return sum;
}

/** Low-pass prototype with unity gain at DC (coefficients sum to exactly 1 up to rounding). */
export function designKaiserLowpass(spec: LowpassSpec): Float64Array {
  const { taps, cutoffHz, sampleRateHz, kaiserBeta } = spec;
  if (!Number.isInteger(taps) || taps < 3 || taps % 2 === 0) throw new Error(`taps must be an odd integer ≥ 3, got ${taps}`);
  const center = (taps - 1) / 2;
  const normalizedCutoff = (2 * cutoffHz) / sampleRateHz; // 1.0 = Nyquist
  const windowNorm = besselI0(kaiserBeta);
  const h = new Float64Array(taps);
  let sum = 0;
  for (let n = 0; n < taps; n++) {
    const t = n - center;
    const sinc = t === 0 ? 1 : Math.sin(Math.PI * normalizedCutoff * t) / (Math.PI * normalizedCutoff * t);
    const r = t / center; // -1 … 1 across the window
    const window = besselI0(kaiserBeta * Math.sqrt(1 - r * r)) / windowNorm;
    h[n] = normalizedCutoff * sinc * window;
    sum += h[n];
  }
  for (let n = 0; n < taps; n++) h[n] /= sum;
  return h;
}
