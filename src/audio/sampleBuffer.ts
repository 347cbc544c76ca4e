/**
 * A growable run of samples: filter history followed by input not yet consumed.
 * Stored as float64 so the inner filter loops multiply without int-to-float conversions.
 */
export class SampleBuffer {
  data: Float64Array;
  length = 0;

  constructor(initialCapacity: number) {
    this.data = new Float64Array(initialCapacity);
  }

  /** Empties the buffer, then fills it with `count` zeros (the filter's silent past). */
  resetToZeros(count: number): void {
    this.data.fill(0, 0, count);
    this.length = count;
  }

  append(samples: Int16Array): void {
    const needed = this.length + samples.length;
    if (needed > this.data.length) {
      const grown = new Float64Array(Math.max(needed, this.data.length * 2));
      grown.set(this.data.subarray(0, this.length));
      this.data = grown;
    }
    this.data.set(samples, this.length);
    this.length = needed;
  }

  /** Drops the oldest `count` samples, keeping the rest at the front. */
  discard(count: number): void {
    this.data.copyWithin(0, count, this.length);
    this.length -= count;
  }
}
