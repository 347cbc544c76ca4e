/** A frame this close to the line's noise floor is silence; anything louder is sent at once. */
const QUIET_ABOVE_FLOOR_DB = 6;
/** Louder than this is never silence, however noisy the line. */
const MAX_QUIET_DBFS = -50;
/** Silence is held only once the line has been quiet this long: the tail of a word is sent as it comes. */
const QUIET_BEFORE_HOLDING_MS = 200;

/**
 * While nobody is talking, the caller's silence goes to the model a batch at a time instead of one append per
 * 20 ms frame. Every append is a socket write to the model, and four in five fewer of them took a third off
 * what a quiet call costs (docs/load.md). The model still hears every sample, in order; silence reaches it less
 * than one batch later. Speech is never held: the first frame that is not silence goes out at once with what
 * was held before it, and the call says when holding would delay the model (while a caller's turn is open). Pure:
 * frames and levels in, what to send out.
 */
export class SilenceBatcher {
  private held: Buffer[] = [];
  private heldMs = 0;
  private quietMs = 0;

  /** `batchMs` of silence per append; one frame's length or less sends every frame as it comes. */
  constructor(private readonly batchMs: number) {}

  /**
   * One caller frame of `ms` at `dbfs`, on a line whose noise floor was `floorDbfs` before it; `mayHold` is false
   * while silence must not wait. Returns what to send to the model now (what was held, then this frame), or
   * nothing while this frame is held.
   */
  frame(mulaw: Buffer, dbfs: number, floorDbfs: number, ms: number, mayHold: boolean): Buffer | undefined {
    const quiet = dbfs <= MAX_QUIET_DBFS && dbfs <= floorDbfs + QUIET_ABOVE_FLOOR_DB;
    const quietBefore = this.quietMs;
    this.quietMs = quiet ? this.quietMs + ms : 0;
    this.held.push(mulaw);
    this.heldMs += ms;
    if (mayHold && quiet && quietBefore >= QUIET_BEFORE_HOLDING_MS && this.heldMs < this.batchMs) return undefined;
    return this.flush();
  }

  /** Whatever is held, to be sent before any other audio; nothing when nothing is. */
  flush(): Buffer | undefined {
    const held = this.held;
    if (held.length === 0) return undefined;
    this.held = [];
    this.heldMs = 0;
    return held.length === 1 ? held[0] : Buffer.concat(held);
  }
}
