/** Never fill more than this in one go: a longer gap is a broken stream, not a pause. */
const MAX_FILL_MS = 10_000;
/** Jitter below this is normal and left alone. */
const TOLERANCE_MS = 20;

/**
 * Twilio sometimes omits inbound audio (silence suppression, network hiccups). Server VAD only ends the
 * caller's turn when it hears silence, so gaps in the media timeline are filled with μ-law silence.
 */
export class InputGapFiller {
  private expectedNextMs: number | undefined;

  /**
   * Called for each inbound media message with its stream timestamp and duration. Returns how many ms of
   * silence to send to the model before this frame.
   */
  gapBefore(timestampMs: number, durationMs: number): number {
    const expected = this.expectedNextMs;
    this.expectedNextMs = timestampMs + durationMs;
    if (expected === undefined) return 0;
    const gap = timestampMs - expected;
    return gap > TOLERANCE_MS ? Math.min(gap, MAX_FILL_MS) : 0;
  }

  /** Silence we injected on our own (no media at all for a while) moves the timeline on too. */
  filled(ms: number): void {
    if (this.expectedNextMs !== undefined) this.expectedNextMs += ms;
  }
}
