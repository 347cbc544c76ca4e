/**
 * Linear-phase low-pass FIR design by the Parks–McClellan (Remez exchange) algorithm: the
 * minimax ("equiripple") filter for a given length, passband and stopband. For a fixed length it
 * has the smallest possible weighted peak error, so it reaches a given ripple and rejection with
 * fewer taps than a windowed sinc, whose error is largest next to the transition band and
 * wasted everywhere else.
 */

export interface EquirippleLowpassSpec {
  /** Odd, so the filter is symmetric around a whole sample (linear phase, type I). */
  taps: number;
  sampleRateHz: number;
  /** Gain is held within 1 ± δp from 0 Hz up to here. */
  passbandEdgeHz: number;
  /** Gain is held within ± δs from here up to Nyquist. */
  stopbandEdgeHz: number;
  /** δp / δs: how much more the stopband error counts than the passband error. */
  stopbandWeight: number;
}

export interface EquirippleLowpass {
  /** Coefficients, symmetric, scaled for exactly unity gain at DC. */
  taps: Float64Array;
  /** Peak passband error δp of the design (before DC normalisation). */
  passbandError: number;
  /** Peak stopband error δs of the design. */
  stopbandError: number;
}

const GRID_DENSITY = 32; // grid points per extremal; 16 is the classic choice, more costs little here
const MAX_ITERATIONS = 100;

/**
 * Designs the minimax low-pass for `spec`. Deterministic and dependency-free; takes a few
 * milliseconds for ~100 taps, so it runs once at module load.
 */
export function designEquirippleLowpass(spec: EquirippleLowpassSpec): EquirippleLowpass {
  const { taps, sampleRateHz, passbandEdgeHz, stopbandEdgeHz, stopbandWeight } = spec;
  if (!Number.isInteger(taps) || taps < 3 || taps % 2 === 0) throw new Error(`taps must be an odd integer ≥ 3, got ${taps}`);
  if (!(0 < passbandEdgeHz && passbandEdgeHz < stopbandEdgeHz && stopbandEdgeHz < sampleRateHz / 2)) {
    throw new Error('need 0 < passband edge < stopband edge < Nyquist');
  }
  const half = (taps - 1) / 2; // A(ω) = Σ_{k=0..half} a_k cos kω: `half + 2` extremals alternate at the optimum
  const extremalCount = half + 2;

  // Dense grid over both bands, in x = cos ω (the polynomial variable), with target and weight.
  const fp = passbandEdgeHz / sampleRateHz;
  const fs = stopbandEdgeHz / sampleRateHz;
  const step = 0.5 / (GRID_DENSITY * (half + 1));
  const gridF: number[] = [];
  const desired: number[] = [];
  const weight: number[] = [];
  const addBand = (from: number, to: number, target: number, w: number) => {
    const n = Math.max(2, Math.ceil((to - from) / step) + 1);
    for (let i = 0; i < n; i++) {
      gridF.push(from + ((to - from) * i) / (n - 1));
      desired.push(target);
      weight.push(w);
    }
  };
  addBand(0, fp, 1, 1);
  const stopStart = gridF.length;
  addBand(fs, 0.5, 0, stopbandWeight);
  const gridX = gridF.map((f) => Math.cos(2 * Math.PI * f));
  const gridSize = gridF.length;

  // Start from evenly spread extremals.
  let extremals = Array.from({ length: extremalCount }, (_, i) => Math.round((i * (gridSize - 1)) / (extremalCount - 1)));
  let interpolant = fitAlternation(extremals, gridX, desired, weight);
  for (let iteration = 0; iteration < MAX_ITERATIONS; iteration++) {
    const error = new Float64Array(gridSize);
    for (let g = 0; g < gridSize; g++) error[g] = weight[g] * (desired[g] - interpolant.evaluate(gridX[g]));
    const next = findExtremals(error, stopStart, extremalCount);
    let maxError = 0;
    for (const g of next) maxError = Math.max(maxError, Math.abs(error[g]));
    const converged = maxError - Math.abs(interpolant.delta) <= 1e-9 * maxError;
    if (process.env.REMEZ_DEBUG) console.log("iter", iteration, maxError, interpolant.delta, converged);
    if (converged || sameIndices(next, extremals)) break;
    extremals = next;
    interpolant = fitAlternation(extremals, gridX, desired, weight);
  }

  // Sample A(ω) at ω_k = 2πk/taps and invert the (real, even) DFT.
  const samples = Array.from({ length: half + 1 }, (_, k) => interpolant.evaluate(Math.cos((2 * Math.PI * k) / taps)));
  const h = new Float64Array(taps);
  for (let n = 0; n < taps; n++) {
    let sum = samples[0];
    for (let k = 1; k <= half; k++) sum += 2 * samples[k] * Math.cos((2 * Math.PI * k * (n - half)) / taps);
    h[n] = sum / taps;
  }
  for (let n = 0; n < half; n++) h[taps - 1 - n] = h[n] = (h[n] + h[taps - 1 - n]) / 2; // exact symmetry
  let dc = 0;
  for (let n = 0; n < taps; n++) dc += h[n];
  for (let n = 0; n < taps; n++) h[n] /= dc;
  const delta = Math.abs(interpolant.delta);
  return { taps: h, passbandError: delta, stopbandError: delta / stopbandWeight };
}

interface Interpolant {
  /** Signed weighted error at the extremals. */
  delta: number;
  evaluate(x: number): number;
}

/**
 * The polynomial of degree `extremals.length - 2` whose weighted error alternates ±δ across the
 * extremals, in barycentric form (numerically stable, no coefficients needed).
 */
function fitAlternation(extremals: number[], gridX: number[], desired: number[], weight: number[]): Interpolant {
  const count = extremals.length;
  const x = extremals.map((g) => gridX[g]);
  const barycentric = (points: number, i: number) => {
    let product = 1;
    for (let j = 0; j < points; j++) if (j !== i) product *= 2 * (x[i] - x[j]); // ×2 keeps the product in range
    return 1 / product;
  };
  const all = x.map((_, i) => barycentric(count, i));
  let numerator = 0;
  let denominator = 0;
  for (let i = 0; i < count; i++) {
    const g = extremals[i];
    numerator += all[i] * desired[g];
    denominator += (all[i] * (i % 2 === 0 ? 1 : -1)) / weight[g];
  }
  const delta = numerator / denominator;
  // Interpolate through all but the last extremal (degree count-2 needs count-1 points).
  const points = count - 1;
  const xs = x.slice(0, points);
  const ys = xs.map((_, i) => desired[extremals[i]] - ((i % 2 === 0 ? 1 : -1) * delta) / weight[extremals[i]]);
  const ws = xs.map((_, i) => barycentric(points, i));
  return {
    delta,
    evaluate(at: number): number {
      let num = 0;
      let den = 0;
      for (let i = 0; i < points; i++) {
        const diff = at - xs[i];
        if (diff === 0) return ys[i];
        const t = ws[i] / diff;
        num += t * ys[i];
        den += t;
      }
      return num / den;
    },
  };
}

/** Local maxima of |error| (band edges included) with alternating signs, trimmed to `count`. */
function findExtremals(error: Float64Array, stopStart: number, count: number): number[] {
  const candidates: number[] = [];
  const bands: Array<[number, number]> = [
    [0, stopStart - 1],
    [stopStart, error.length - 1],
  ];
  for (const [first, last] of bands) {
    for (let g = first; g <= last; g++) {
      // Compare signed values (flipped for negative lobes): a neighbour across a zero crossing never wins.
      const sign = error[g] < 0 ? -1 : 1;
      const e = sign * error[g];
      const left = g > first ? sign * error[g - 1] : -Infinity;
      const right = g < last ? sign * error[g + 1] : -Infinity;
      if (e >= left && e > right) candidates.push(g);
    }
  }
  // Where neighbours share a sign, keep the larger.
  const alternating: number[] = [];
  for (const g of candidates) {
    const previous = alternating[alternating.length - 1];
    if (previous !== undefined && Math.sign(error[previous]) === Math.sign(error[g])) {
      if (Math.abs(error[g]) > Math.abs(error[previous])) alternating[alternating.length - 1] = g;
    } else {
      alternating.push(g);
    }
  }
  // Surplus extremals: drop whichever end is smaller (dropping an end keeps the alternation).
  while (alternating.length > count) {
    if (Math.abs(error[alternating[0]]) < Math.abs(error[alternating[alternating.length - 1]])) alternating.shift();
    else alternating.pop();
  }
  if (alternating.length < count) throw new Error(`Remez exchange lost alternation (${alternating.length} of ${count} extremals)`);
  return alternating;
}

function sameIndices(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** Magnitude of the filter's frequency response at `freqHz` (direct DTFT; for checks and design sweeps). */
export function magnitudeAt(h: ArrayLike<number>, freqHz: number, sampleRateHz: number): number {
  const w = (2 * Math.PI * freqHz) / sampleRateHz;
  let re = 0;
  let im = 0;
  for (let n = 0; n < h.length; n++) {
    re += h[n] * Math.cos(w * n);
    im -= h[n] * Math.sin(w * n);
  }
  return Math.hypot(re, im);
}
