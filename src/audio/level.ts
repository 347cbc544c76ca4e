/** Floor returned for digital silence (and empty input) instead of -Infinity, so levels stay comparable and loggable. */
export const SILENCE_DBFS = -120;

/**
 * RMS level in dBFS, relative to a full-scale square wave (RMS 32768): a full-scale sine
 * reads -3.01 dBFS. Clamped to SILENCE_DBFS.
 */
export function levelDbfs(pcm: Int16Array): number {
  if (pcm.length === 0) return SILENCE_DBFS;
  let sumOfSquares = 0;
  for (let i = 0; i < pcm.length; i++) sumOfSquares += pcm[i] * pcm[i];
  const rms = Math.sqrt(sumOfSquares / pcm.length);
  return Math.max(SILENCE_DBFS, 20 * Math.log10(rms / 32768));
}
