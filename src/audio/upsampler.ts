import { saturateToInt16 } from './int16';
import { SampleBuffer } from './sampleBuffer';
import { PROTOTYPE, RATIO } from './telephonyFilter';

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

/**
 * 8 kHz -> 24 kHz, streaming polyphase interpolator. Output length is always 3x the input;
 * filter history carries across calls, so any chunking yields bit-identical output.
 * Delay: (taps-1)/2 = 47 samples at 24 kHz (1.958 ms).
 */
export class Upsampler3 {
  private readonly buffer = new SampleBuffer(BRANCH_TAPS + 2048);

  constructor() {
    this.reset();
  }

  /** Forgets filter history, as if freshly constructed. */
  reset(): void {
    this.buffer.resetToZeros(BRANCH_TAPS - 1);
  }

  process(input: Int16Array): Int16Array {
    const buffer = this.buffer;
    buffer.append(input);
    const output = new Int16Array(input.length * RATIO);
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
    return output;
  }
}
