import { SILENCE_DBFS } from './level';

/**
 * Notices the caller starting to talk over the agent, from the caller's audio alone and a few hundred ms
 * before the model's own voice activity detection can say so (its window plus a network round trip).
 *
 * The agent's own voice comes back on the caller's line as echo, and echo is speech: no speech detector can
 * tell it apart. So a frame counts as the caller only when it is louder than both the line's noise floor
 * (plus a margin) and the loudest agent audio played in the last half second minus the echo margin: an
 * echo is always that much quieter than what was played (a double-talk gate referenced to the far end).
 * A short run of such frames is an onset. Pure: levels in, decisions out; the caller measures the levels and
 * keeps the line's noise floor (`NoiseFloor`).
 */
export interface SpeechOnsetSettings {
  /** How far above the noise floor a frame must be. */
  aboveNoiseDb: number;
  /** How far below the played agent audio an echo is at least (the line's echo return loss). */
  echoMarginDb: number;
  /** Agent audio counts as echo source for this long after it played (playout plus round trip). */
  echoWindowMs: number;
  /** Consecutive caller frames it takes to be an onset. */
  onsetMs: number;
  /** Below this, nothing is speech (digital silence, comfort noise). */
  minSpeechDbfs: number;
}

export const DEFAULT_ONSET_SETTINGS: SpeechOnsetSettings = {
  aboveNoiseDb: 12,
  echoMarginDb: 15,
  echoWindowMs: 500,
  onsetMs: 60,
  minSpeechDbfs: -45,
};

export class SpeechOnsetDetector {
  private readonly played: Array<{ at: number; dbfs: number }> = [];
  private runMs = 0;

  constructor(private readonly settings: SpeechOnsetSettings = DEFAULT_ONSET_SETTINGS) {}

  /** Agent audio played at `at` (ms), at this level: it may come back as echo for a while. */
  agentPlayed(dbfs: number, at: number): void {
    this.played.push({ at, dbfs });
  }

  /**
   * One caller frame of `ms` at `dbfs`, received at `at`, on a line whose noise floor was `floorDbfs` before it.
   * True when it completes an onset (once per run).
   */
  callerFrame(dbfs: number, floorDbfs: number, ms: number, at: number): boolean {
    const { aboveNoiseDb, echoMarginDb, onsetMs, minSpeechDbfs } = this.settings;
    const echoCeiling = this.loudestPlayedSince(at - this.settings.echoWindowMs) - echoMarginDb;
    const speech = dbfs >= minSpeechDbfs && dbfs >= floorDbfs + aboveNoiseDb && dbfs > echoCeiling;
    if (!speech) {
      this.runMs = 0;
      return false;
    }
    const before = this.runMs;
    this.runMs += ms;
    return before < onsetMs && this.runMs >= onsetMs;
  }

  private loudestPlayedSince(since: number): number {
    while (this.played.length > 0 && this.played[0].at < since) this.played.shift();
    let loudest = SILENCE_DBFS;
    for (const frame of this.played) if (frame.dbfs > loudest) loudest = frame.dbfs;
    return loudest;
  }
}
