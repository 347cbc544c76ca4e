/**
 * PCM16 little-endian <-> Int16Array. Results are the same on any host endianness and for
 * Buffers at odd byte offsets (pooled Buffers can be): on little-endian hosts (x64, arm64) the
 * bytes already are the samples, so they are copied in one block; elsewhere they are
 * assembled byte by byte.
 */

export const HOST_LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** Reads `sampleCount` LE samples from `bytes` at `byteOffset` into `out` at `outOffset`. */
export function readPcm16leInto(bytes: Uint8Array, byteOffset: number, sampleCount: number, out: Int16Array, outOffset = 0): void {
  if (HOST_LITTLE_ENDIAN) {
    new Uint8Array(out.buffer, out.byteOffset + 2 * outOffset, 2 * sampleCount).set(bytes.subarray(byteOffset, byteOffset + 2 * sampleCount));
    return;
  }
  for (let i = 0, b = byteOffset; i < sampleCount; i++, b += 2) {
    out[outOffset + i] = bytes[b] | (bytes[b + 1] << 8); // the Int16Array store reinterprets bit 15 as the sign
  }
}

/** Reads `sampleCount` LE samples from `bytes` starting at `byteOffset`. */
export function readPcm16le(bytes: Uint8Array, byteOffset: number, sampleCount: number): Int16Array {
  const samples = new Int16Array(sampleCount);
  readPcm16leInto(bytes, byteOffset, sampleCount, samples);
  return samples;
}

/** Writes the first `count` samples as PCM16 LE to `out` at `outOffset`. */
export function writePcm16leInto(samples: Int16Array, count: number, out: Uint8Array, outOffset = 0): void {
  if (HOST_LITTLE_ENDIAN) {
    out.set(new Uint8Array(samples.buffer, samples.byteOffset, 2 * count), outOffset);
    return;
  }
  for (let i = 0, b = outOffset; i < count; i++, b += 2) {
    const s = samples[i];
    out[b] = s & 0xff;
    out[b + 1] = (s >> 8) & 0xff;
  }
}

/** Writes samples as PCM16 LE into a new Buffer. */
export function pcm16ToLeBuffer(samples: Int16Array): Buffer {
  const bytes = Buffer.allocUnsafe(samples.length * 2);
  writePcm16leInto(samples, samples.length, bytes);
  return bytes;
}
