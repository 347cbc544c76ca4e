import { Downsampler3 } from './downsampler';
import { decodeMulawInto, encodeMulawInto } from './g711';
import { HOST_LITTLE_ENDIAN, readPcm16leInto, writePcm16leInto } from './pcmBytes';
import { type ResamplerOptions, Upsampler3 } from './upsampler';

/**
 * A reusable Int16Array: `view(n)` is n samples long, backed by storage that only grows, and
 * the same view object comes back while n repeats (as it does frame after frame).
 */
class Scratch {
  private storage = new Int16Array(0);
  private last = this.storage;

  view(length: number): Int16Array {
    if (this.last.length === length) return this.last;
    if (this.storage.length < length) this.storage = new Int16Array(Math.max(length, 2 * this.storage.length));
    this.last = this.storage.subarray(0, length);
    return this.last;
  }
}

/**
 * Caller -> model: Twilio media payload bytes (G.711 μ-law, 8 kHz) to PCM16 LE at 24 kHz,
 * ready to base64 into `input_audio_buffer.append`. One instance per call: it holds filter state.
 */
export class CallerToModel {
  private readonly upsampler: Upsampler3;
  private readonly decoded = new Scratch();
  private readonly upsampled = new Scratch();

  constructor(options: ResamplerOptions = {}) {
    this.upsampler = new Upsampler3(options);
  }

  /** Returns a new Buffer of 6 bytes per input byte. */
  convert(mulawBytes: Uint8Array): Buffer {
    const out = Buffer.allocUnsafe(mulawBytes.length * 6);
    this.convertInto(mulawBytes, out);
    return out;
  }

  /** Writes 6 bytes per input byte to the start of `out` (no allocation once warm); returns that count. */
  convertInto(mulawBytes: Uint8Array, out: Uint8Array): number {
    const byteCount = mulawBytes.length * 6;
    if (out.length < byteCount) throw new RangeError(`output holds ${out.length} bytes, ${byteCount} needed`);
    const decoded = this.decoded.view(mulawBytes.length);
    decodeMulawInto(mulawBytes, decoded);
    const upsampled = this.upsampled.view(decoded.length * 3);
    this.upsampler.processInto(decoded, upsampled);
    writePcm16leInto(upsampled, upsampled.length, out);
    return byteCount;
  }

  /** Forgets filter history (e.g. when a new stream starts on the same instance). */
  reset(): void {
    this.upsampler.reset();
  }
}

/**
 * Model -> caller: PCM16 LE at 24 kHz (`response.output_audio.delta` bytes, any length) to
 * μ-law 8 kHz bytes for Twilio. Deltas may split a sample (odd byte count) or a group of three
 * samples; both remainders are carried into the next call, so output only depends on the
 * concatenated input. One instance per call.
 */
export class ModelToCaller {
  private readonly downsampler: Downsampler3;
  private readonly samples = new Scratch();
  private readonly downsampled = new Scratch();
  /** Low byte of a sample whose high byte has not arrived yet, or -1. */
  private pendingByte = -1;

  constructor(options: ResamplerOptions = {}) {
    this.downsampler = new Downsampler3(options);
  }

  /** How many μ-law bytes the next convert/convertInto call yields for `byteCount` input bytes. */
  outputLength(byteCount: number): number {
    return this.downsampler.outputLength((byteCount + (this.pendingByte < 0 ? 0 : 1)) >> 1);
  }

  /** Returns a new Buffer with every μ-law byte that `pcm16le` completes. */
  convert(pcm16le: Uint8Array): Buffer {
    const out = Buffer.allocUnsafe(this.outputLength(pcm16le.length));
    this.convertInto(pcm16le, out);
    return out;
  }

  /** Writes the μ-law bytes that `pcm16le` completes to the start of `out` (no allocation once warm); returns how many. */
  convertInto(pcm16le: Uint8Array, out: Uint8Array): number {
    const count = this.outputLength(pcm16le.length);
    if (out.length < count) throw new RangeError(`output holds ${out.length} bytes, ${count} needed`);
    const downsampled = this.downsampled.view(count);
    this.downsampler.processInto(this.takeWholeSamples(pcm16le), downsampled);
    encodeMulawInto(downsampled, out, count);
    return count;
  }

  /** Drops carried bytes/samples and filter history, e.g. after a barge-in cleared playback. */
  reset(): void {
    this.pendingByte = -1;
    this.downsampler.reset();
  }

  private takeWholeSamples(bytes: Uint8Array): Int16Array {
    if (this.pendingByte < 0 && HOST_LITTLE_ENDIAN && (bytes.byteOffset & 1) === 0) {
      // The bytes already are the samples: view them in place.
      if (bytes.length & 1) this.pendingByte = bytes[bytes.length - 1];
      return new Int16Array(bytes.buffer, bytes.byteOffset, bytes.length >> 1);
    }
    if (bytes.length === 0) return this.samples.view(0);
    const carried = this.pendingByte < 0 ? 0 : 1;
    const total = carried + bytes.length;
    const samples = this.samples.view(total >> 1);
    // Complete a split sample first, then read the rest shifted by one byte.
    if (carried) samples[0] = this.pendingByte | (bytes[0] << 8);
    readPcm16leInto(bytes, carried, samples.length - carried, samples, carried);
    this.pendingByte = total & 1 ? bytes[bytes.length - 1] : -1;
    return samples;
  }
}
