import { pcm16ToMulaw } from '../../src/audio';
import { phoneAudio } from '../../src/softphone/audioCore';
import type { WavAudio } from './wav';

const LINE_RATE = 8000;

/**
 * Audio at any rate as a phone line carries it: 8 kHz μ-law. The resampling is the softphone's (a Kaiser-windowed
 * low-pass for any pair of rates, the code the browser runs); the μ-law is the server's G.711.
 */
export function toLineAudio(wav: WavAudio): Uint8Array {
  let samples = wav.samples;
  if (wav.sampleRate !== LINE_RATE) {
    const resampler = new phoneAudio.Resampler(wav.sampleRate, LINE_RATE, phoneAudio.TELEPHONE_BAND);
    const expected = Math.round((samples.length * LINE_RATE) / wav.sampleRate);
    // Zeros after the end let the filter finish the last samples.
    const padded = new Float32Array(samples.length + wav.sampleRate / 100 + 1);
    padded.set(samples);
    samples = resampler.process(padded).subarray(0, expected);
  }
  const pcm = Int16Array.from(samples, (v) => Math.max(-32768, Math.min(32767, Math.round(v * 32768))));
  return pcm16ToMulaw(pcm);
}
