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
 * Delay: (taps-1)/2 = 35 samples at 24 kHz (1.458 ms).
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
    const [b0, b1, b2] = BRANCHES;
    for (let m = 0, o = 0; m < input.length; m++, o += RATIO) {
      let acc0 = 0;
      let acc1 = 0;
      let acc2 = 0;
      for (let j = 0; j < BRANCH_TAPS; j++) {
        const sample = x[m + j];
        acc0 += b0[j] * sample;
        acc1 += b1[j] * sample;
        acc2 += b2[j] * sample;
      }
      output[o] = saturateToInt16(acc0);
      output[o + 1] = saturateToInt16(acc1);
      output[o + 2] = saturateToInt16(acc2);
    }
    buffer.discard(input.length);
  }
}
