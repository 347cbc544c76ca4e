/**
 * PCM16 little-endian <-> Int16Array, assembled byte by byte so the result is the same on any
 * host endianness and for Buffers at odd byte offsets (pooled Buffers often are).
 */

/** Reads `sampleCount` LE samples from `bytes` starting at `byteOffset`. */
export function readPcm16le(bytes: Uint8Array, byteOffset: number, sampleCount: number): Int16Array {
  const samples = new Int16Array(sampleCount);
  for (let i = 0, b = byteOffset; i < sampleCount; i++, b += 2) {
    samples[i] = bytes[b] | (bytes[b + 1] << 8); // the Int16Array store reinterprets bit 15 as the sign
  }
  return samples;
}

/** Writes samples as PCM16 LE into a new Buffer. */
export function pcm16ToLeBuffer(samples: Int16Array): Buffer {
  const bytes = Buffer.allocUnsafe(samples.length * 2);
  for (let i = 0, b = 0; i < samples.length; i++, b += 2) {
    const s = samples[i];
    bytes[b] = s & 0xff;
    bytes[b + 1] = (s >> 8) & 0xff;
  }
  return bytes;
}
