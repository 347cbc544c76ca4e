import { decodeMulawInto, encodeMulawInto } from './g711';
import { Downsampler3 } from './downsampler';
import { readPcm16le, pcm16ToLeBuffer } from './pcmBytes';
import { Upsampler3 } from './upsampler';

/**
 * Caller -> model: Twilio media payload bytes (G.711 μ-law, 8 kHz) to PCM16 LE at 24 kHz,
 * ready to base64 into `input_audio_buffer.append`. One instance per call: it holds filter state.
 */
export class CallerToModel {
  private readonly upsampler = new Upsampler3();
  private decoded = new Int16Array(160); // reused: Twilio frames are 160 bytes

  convert(mulawBytes: Uint8Array): Buffer {
    if (this.decoded.length !== mulawBytes.length) this.decoded = new Int16Array(mulawBytes.length);
    decodeMulawInto(mulawBytes, this.decoded);
    return pcm16ToLeBuffer(this.upsampler.process(this.decoded));
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
  private readonly downsampler = new Downsampler3();
  /** Low byte of a sample whose high byte has not arrived yet, or -1. */
  private pendingByte = -1;

  convert(pcm16le: Uint8Array): Buffer {
    const samples = this.takeWholeSamples(pcm16le);
    const downsampled = this.downsampler.process(samples);
    const out = Buffer.allocUnsafe(downsampled.length);
    encodeMulawInto(downsampled, out);
    return out;
  }

  /** Drops carried bytes/samples and filter history, e.g. after a barge-in cleared playback. */
  reset(): void {
    this.pendingByte = -1;
    this.downsampler.reset();
  }

  private takeWholeSamples(bytes: Uint8Array): Int16Array {
    if (this.pendingByte < 0) {
      const samples = readPcm16le(bytes, 0, bytes.length >> 1);
      if (bytes.length & 1) this.pendingByte = bytes[bytes.length - 1];
      return samples;
    }
    if (bytes.length === 0) return new Int16Array(0);
    // Complete the split sample first, then read the rest shifted by one byte.
    const rest = bytes.length - 1;
    const samples = new Int16Array(1 + (rest >> 1));
    samples[0] = this.pendingByte | (bytes[0] << 8);
    samples.set(readPcm16le(bytes, 1, rest >> 1), 1);
    this.pendingByte = rest & 1 ? bytes[bytes.length - 1] : -1;
    return samples;
  }
}
