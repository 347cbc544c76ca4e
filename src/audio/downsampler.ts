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
    const outputCount = Math.max(0, Math.floor((buffer.length - SILENT_HISTORY) / RATIO));
    const output = new Int16Array(outputCount);
    const x = buffer.data;
    const h = PROTOTYPE; // symmetric, so no reversal is needed for convolution
    for (let m = 0, start = 0; m < outputCount; m++, start += RATIO) {
      let acc = 0;
      for (let k = 0; k < TAPS; k++) acc += h[k] * x[start + k];
      output[m] = saturateToInt16(acc);
    }
    buffer.discard(outputCount * RATIO);
    return output;
  }
}
