import { mulaw } from 'alawmulaw';

/**
 * G.711 μ-law codec backed by lookup tables built once from alawmulaw, so results are
 * bit-exact with alawmulaw while skipping its per-sample arithmetic and per-call allocation.
 */

/** Code byte -> linear PCM16 sample. */
const DECODE_TABLE: Int16Array = (() => {
  const table = new Int16Array(256);
  for (let code = 0; code < 256; code++) table[code] = mulaw.decodeSample(code);
  return table;
})();

/** Linear sample (as its unsigned 16-bit pattern, `sample & 0xffff`) -> code byte. */
const ENCODE_TABLE: Uint8Array = (() => {
  const table = new Uint8Array(65536);
  // alawmulaw returns ~code as a negative int; storing in a Uint8Array keeps the low byte.
  for (let sample = -32768; sample < 32768; sample++) table[sample & 0xffff] = mulaw.encodeSample(sample);
  return table;
})();

/** Decodes μ-law bytes into `out` (same length or longer), starting at index 0. */
/** One μ-law byte as a PCM16 sample. */
export function mulawSample(byte: number): number {
  return DECODE_TABLE[byte];
}

export function decodeMulawInto(mulawBytes: Uint8Array, out: Int16Array): void {
  for (let i = 0; i < mulawBytes.length; i++) out[i] = DECODE_TABLE[mulawBytes[i]];
}

/** Encodes the first `count` PCM16 samples (default: all) into `out`, starting at index 0. */
export function encodeMulawInto(pcm: Int16Array, out: Uint8Array, count = pcm.length): void {
  for (let i = 0; i < count; i++) out[i] = ENCODE_TABLE[pcm[i] & 0xffff];
}

/** G.711 μ-law decode; bit-exact with alawmulaw's `mulaw.decode`. */
export function mulawToPcm16(mulawBytes: Uint8Array): Int16Array {
  const out = new Int16Array(mulawBytes.length);
  decodeMulawInto(mulawBytes, out);
  return out;
}

/** G.711 μ-law encode; bit-exact with alawmulaw's `mulaw.encode`. */
export function pcm16ToMulaw(pcm: Int16Array): Uint8Array {
  const out = new Uint8Array(pcm.length);
  encodeMulawInto(pcm, out);
  return out;
}

/** The μ-law code for silence (linear 0). */
export const MULAW_SILENCE = 0xff;

/** `ms` of μ-law silence at 8 kHz. */
export function mulawSilence(ms: number): Buffer {
  return Buffer.alloc(Math.round(ms * 8), MULAW_SILENCE);
}
