import { saturateToInt16 } from './int16';
import { SampleBuffer } from './sampleBuffer';
import { PROTOTYPE, RATIO } from './telephonyFilter';

const TAPS = PROTOTYPE.length;
/**
 * Zeros that precede the first input: with N-3 of them, output m's window ends at input 3m+2,
 * i.e. one output per complete group of 3 inputs, and the delay is a whole number of outputs.
 */
const SILENT_HISTORY = TAPS - RATIO;

/**
 * 24 kHz -> 8 kHz, streaming. Anti-alias low-pass (the shared prototype) evaluated only at
 * the kept samples. Chunk sizes are arbitrary: up to 2 leftover samples (input length % 3)
 * wait for the next call, and any chunking yields bit-identical output to one big call.
 */
export class Downsampler3 {
  private readonly buffer = new SampleBuffer(SILENT_HISTORY + 4096);

  constructor() {
    this.reset();
  }

  /** Forgets filter history and leftover samples, as if freshly constructed. */
  reset(): void {
    this.buffer.resetToZeros(SILENT_HISTORY);
  }

  process(input: Int16Array): Int16Array {
    const buffer = this.buffer;
    buffer.append(input);
    const outputCount = Math.floor((buffer.length - SILENT_HISTORY) / RATIO); // length ≥ SILENT_HISTORY always
    const output = new Int16Array(outputCount);
    const x = buffer.data;
    let m = 0;
    for (; m + 4 <= outputCount; m += 4) filterFour(x, m * RATIO, output, m);
    for (; m < outputCount; m++) output[m] = saturateToInt16(filterOne(x, m * RATIO));
    buffer.discard(outputCount * RATIO);
    return output;
  }
}

/** One output: the window x[start … start+TAPS-1] against the (symmetric, so unreversed) prototype. */
function filterOne(x: Float64Array, start: number): number {
  const h = PROTOTYPE;
  let acc = 0;
  for (let k = 0; k < TAPS; k++) acc += h[k] * x[start + k];
  return acc;
}

/**
 * Four consecutive outputs in one pass over the taps, sharing each coefficient load:
 * measured ~1.5x faster than one output at a time. Each sum runs in the same order as
 * filterOne, so results are bit-identical whichever path an output takes (chunking-proof).
 */
function filterFour(x: Float64Array, start: number, output: Int16Array, at: number): void {
  const h = PROTOTYPE;
  const step = RATIO; // a local: imported bindings may compile to property loads (getters under tsx)
  let acc0 = 0;
  let acc1 = 0;
  let acc2 = 0;
  let acc3 = 0;
  for (let k = 0; k < TAPS; k++) {
    const coefficient = h[k];
    const i = start + k;
    acc0 += coefficient * x[i];
    acc1 += coefficient * x[i + step];
    acc2 += coefficient * x[i + 2 * step];
    acc3 += coefficient * x[i + 3 * step];
  }
  output[at] = saturateToInt16(acc0);
  output[at + 1] = saturateToInt16(acc1);
  output[at + 2] = saturateToInt16(acc2);
  output[at + 3] = saturateToInt16(acc3);
}
