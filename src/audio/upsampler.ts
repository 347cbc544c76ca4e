import { saturateToInt16 } from './int16';
import { SampleBuffer } from './sampleBuffer';
import { bestKernel, MAX_BLOCK, requireSimdKernels, type ResamplerKernel, type SimdKernels, UP_HISTORY, UP_INPUT } from './simdKernels';
import { INTERPOLATOR_DELAY, PROTOTYPE, RATIO } from './telephonyFilter';

export interface ResamplerOptions {
  /** Defaults to the fastest available ('wasm-simd' on any current Node on x64 or arm64). */
  kernel?: ResamplerKernel;
}

interface Engine {
  /** Writes 3 × input.length samples to output[0…]. */
  run(input: Int16Array, output: Int16Array): void;
  reset(): void;
}

/**
 * 8 kHz -> 24 kHz, streaming polyphase interpolator. Output length is always 3x the input;
 * filter history carries across calls, so any chunking yields bit-identical output.
 * Delay: (taps-1)/2 = 37 samples at 24 kHz (1.542 ms).
 */
export class Upsampler3 {
  /** Delay in output samples (24 kHz). */
  static readonly DELAY = INTERPOLATOR_DELAY;
  readonly kernel: ResamplerKernel;
  private readonly engine: Engine;

  constructor(options: ResamplerOptions = {}) {
    this.kernel = options.kernel ?? bestKernel();
    this.engine = this.kernel === 'wasm-simd' ? new SimdEngine(requireSimdKernels()) : new JsEngine();
  }

  /** Forgets filter history, as if freshly constructed. */
  reset(): void {
    this.engine.reset();
  }

  /** Returns a new array of 3 × input.length samples. */
  process(input: Int16Array): Int16Array {
    const output = new Int16Array(input.length * RATIO);
    this.engine.run(input, output);
    return output;
  }

  /** Writes 3 × input.length samples to the start of `output` (no allocation); returns that count. */
  processInto(input: Int16Array, output: Int16Array): number {
    const count = input.length * RATIO;
    if (output.length < count) throw new RangeError(`output holds ${output.length} samples, ${count} needed`);
    this.engine.run(input, output);
    return count;
  }
}

/** The SIMD engine whose history is in the kernels' memory now (see simdKernels.ts). */
let tenant: SimdEngine | null = null;

/** See simdKernels.ts. Its history (the last UP_HISTORY inputs, float32) moves out of the kernels' memory only when another engine runs. */
class SimdEngine implements Engine {
  private readonly saved = new Float32Array(UP_HISTORY);

  constructor(private readonly kernels: SimdKernels) {}

  reset(): void {
    this.saved.fill(0);
    if (tenant === this) tenant = null;
  }

  run(input: Int16Array, output: Int16Array): void {
    const kernels = this.kernels;
    if (tenant !== this) {
      if (tenant) tenant.saved.set(kernels.upHistory);
      kernels.upHistory.set(this.saved);
      tenant = this;
    }
    for (let done = 0; done < input.length; ) {
      const count = Math.min(MAX_BLOCK, input.length - done);
      kernels.int16.set(count === input.length ? input : input.subarray(done, done + count), UP_INPUT / 2);
      kernels.upsample(count);
      output.set(kernels.upOutput(count * RATIO), done * RATIO);
      done += count;
    }
  }
}

/** Taps per polyphase branch: the prototype split 3 ways (zero-padded to a multiple of 3). */
const BRANCH_TAPS = Math.ceil(PROTOTYPE.length / RATIO);

/**
 * Branch p produces output samples 3m+p from inputs m, m-1, …: coefficient j is 3·h[3j+p]
 * (×3 restores the energy lost by inserting two zeros per input). Stored reversed so the
 * inner loop walks the history forwards, oldest sample first.
 */
const BRANCHES: Float64Array[] = Array.from({ length: RATIO }, (_, phase) => {
  const branch = new Float64Array(BRANCH_TAPS);
  for (let j = 0; j < BRANCH_TAPS; j++) {
    const k = RATIO * j + phase;
    branch[BRANCH_TAPS - 1 - j] = k < PROTOTYPE.length ? RATIO * PROTOTYPE[k] : 0;
  }
  return branch;
});

/** The branches interleaved (tap j of branch p at 3j+p): one array, one load base, in the inner loops. */
const INTERLEAVED = Float64Array.from({ length: RATIO * BRANCH_TAPS }, (_, i) => BRANCHES[i % RATIO][Math.floor(i / RATIO)]);

/** Plain JavaScript, float64: the fallback where WebAssembly SIMD is unavailable, and the reference in tests. */
class JsEngine implements Engine {
  private readonly buffer = new SampleBuffer(BRANCH_TAPS + 2048);

  constructor() {
    this.reset();
  }

  reset(): void {
    this.buffer.resetToZeros(BRANCH_TAPS - 1);
  }

  run(input: Int16Array, output: Int16Array): void {
    const buffer = this.buffer;
    buffer.append(input);
    const x = buffer.data;
    let m = 0;
    for (; m + 2 <= input.length; m += 2) filterTwo(x, m, output);
    if (m < input.length) filterOne(x, m, output);
    buffer.discard(input.length);
  }
}

/** Three outputs (one per branch) for input m. */
function filterOne(x: Float64Array, m: number, output: Int16Array): void {
  const c = INTERLEAVED;
  let acc0 = 0;
  let acc1 = 0;
  let acc2 = 0;
  for (let j = 0, k = 0; j < BRANCH_TAPS; j++, k += 3) {
    const sample = x[m + j];
    acc0 += c[k] * sample;
    acc1 += c[k + 1] * sample;
    acc2 += c[k + 2] * sample;
  }
  const o = m * 3;
  output[o] = saturateToInt16(acc0);
  output[o + 1] = saturateToInt16(acc1);
  output[o + 2] = saturateToInt16(acc2);
}

/**
 * Inputs m and m+1 in one pass, sharing each coefficient load: measured 1.5x faster than one
 * input at a time over three separate branch arrays. Each sum runs in the same order as
 * filterOne, so results are bit-identical whichever path an output takes (chunking-proof).
 */
function filterTwo(x: Float64Array, m: number, output: Int16Array): void {
  const c = INTERLEAVED;
  let a0 = 0;
  let a1 = 0;
  let a2 = 0;
  let b0 = 0;
  let b1 = 0;
  let b2 = 0;
  for (let j = 0, k = 0; j < BRANCH_TAPS; j++, k += 3) {
    const first = x[m + j];
    const second = x[m + j + 1];
    const h0 = c[k];
    const h1 = c[k + 1];
    const h2 = c[k + 2];
    a0 += h0 * first;
    a1 += h1 * first;
    a2 += h2 * first;
    b0 += h0 * second;
    b1 += h1 * second;
    b2 += h2 * second;
  }
  const o = m * 3;
  output[o] = saturateToInt16(a0);
  output[o + 1] = saturateToInt16(a1);
  output[o + 2] = saturateToInt16(a2);
  output[o + 3] = saturateToInt16(b0);
  output[o + 4] = saturateToInt16(b1);
  output[o + 5] = saturateToInt16(b2);
}
