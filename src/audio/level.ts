import { mulawSample } from './g711';

/** Floor returned for digital silence (and empty input) instead of -Infinity, so levels stay comparable and loggable. */
export const SILENCE_DBFS = -120;

/**
 * RMS level in dBFS, relative to a full-scale square wave (RMS 32768): a full-scale sine
 * reads -3.01 dBFS. Clamped to SILENCE_DBFS.
 */
export function levelDbfs(pcm: Int16Array): number {
  let sumOfSquares = 0;
  for (let i = 0; i < pcm.length; i++) sumOfSquares += pcm[i] * pcm[i];
  return dbfs(sumOfSquares, pcm.length);
}

/** The level of μ-law audio, as `levelDbfs` of its decoded samples, without decoding into a new array (per frame). */
export function mulawLevelDbfs(mulaw: Uint8Array): number {
  let sumOfSquares = 0;
  for (let i = 0; i < mulaw.length; i++) {
    const sample = mulawSample(mulaw[i]);
    sumOfSquares += sample * sample;
  }
  return dbfs(sumOfSquares, mulaw.length);
}

function dbfs(sumOfSquares: number, count: number): number {
  if (count === 0) return SILENCE_DBFS;
  return Math.max(SILENCE_DBFS, 20 * Math.log10(Math.sqrt(sumOfSquares / count) / 32768));
}
