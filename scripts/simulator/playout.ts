/** μ-law at 8 kHz: 8 bytes a millisecond. */
const BYTES_PER_MS = 8;
const SILENCE = 0xff;

/** The agent was cut off: when, and how much of what it had sent the caller had heard. */
export interface Cut {
  atMs: number;
  heardMs: number;
  sentMs: number;
}

/**
 * What a phone line does with the agent's audio, on a clock the caller owns: media queues and plays in real time
 * from when it arrives, a mark is passed once the audio queued before it has played, and a clear drops what has
 * not played and passes every waiting mark at once. It keeps what was heard on the call's timeline, and each
 * stretch of continuous speech (a "spurt") for timings: when it started and how much of it was heard when cut.
 * Times are ms since the call started. Pure: the caller says what time it is.
 */
export class Playout {
  private readonly queue: Uint8Array[] = [];
  private queuedBytes = 0;
  /** Bytes ever queued and ever played, for marks. */
  private enqueued = 0;
  private played = 0;
  private readonly marks: Array<{ name: string; at: number }> = [];
  /** Marks passed and not yet reported. */
  private passed: string[] = [];
  /** Where playback has got to on the call's timeline, while playing. */
  private playheadMs = 0;
  private heardTimeline = new Uint8Array(60 * 1000 * BYTES_PER_MS).fill(SILENCE);
  private spurt: { startMs: number; playedBytes: number; sentBytes: number } | undefined;
  /** When each spurt started, in order. */
  readonly spurtStarts: number[] = [];
  readonly cuts: Cut[] = [];
  /** When the agent last stopped being heard; undefined while it is. */
  quietSinceMs: number | undefined = 0;

  get playing(): boolean {
    return this.queuedBytes > 0;
  }

  /** The spurt now playing: how long it has been heard. */
  get spurtHeardMs(): number {
    return this.spurt ? this.spurt.playedBytes / BYTES_PER_MS : 0;
  }

  media(bytes: Uint8Array, nowMs: number): void {
    this.playUntil(nowMs);
    if (bytes.length === 0) return;
    if (!this.playing) {
      this.playheadMs = nowMs;
      this.quietSinceMs = undefined;
      if (!this.spurt) {
        this.spurt = { startMs: nowMs, playedBytes: 0, sentBytes: 0 };
        this.spurtStarts.push(nowMs);
      }
    }
    this.queue.push(bytes);
    this.queuedBytes += bytes.length;
    this.enqueued += bytes.length;
    this.spurt!.sentBytes += bytes.length;
  }

  /** A mark after everything queued so far. */
  mark(name: string): void {
    this.marks.push({ name, at: this.enqueued });
  }

  /** Plays up to `nowMs`; returns the marks passed since the last call. */
  advance(nowMs: number): string[] {
    this.playUntil(nowMs);
    const passed = this.passed;
    this.passed = [];
    return passed;
  }

  private playUntil(nowMs: number): void {
    while (this.queuedBytes > 0 && this.playheadMs < nowMs) {
      const chunk = this.queue[0];
      const take = Math.min(chunk.length, Math.ceil((nowMs - this.playheadMs) * BYTES_PER_MS));
      this.hear(chunk.subarray(0, take), this.playheadMs);
      this.playheadMs += take / BYTES_PER_MS;
      this.played += take;
      this.spurt!.playedBytes += take;
      this.queuedBytes -= take;
      if (take === chunk.length) this.queue.shift();
      else this.queue[0] = chunk.subarray(take);
    }
    if (this.queuedBytes === 0 && this.quietSinceMs === undefined) this.quietSinceMs = this.playheadMs;
    // A spurt ends once the line has been quiet a moment: the next audio is another reply.
    if (this.spurt && this.queuedBytes === 0 && nowMs - this.playheadMs >= 200) this.spurt = undefined;
    this.passMarks();
  }

  /** Drops what has not played; returns every mark not reported yet, the waiting ones with them. */
  clear(nowMs: number): string[] {
    this.playUntil(nowMs);
    if (this.spurt && this.queuedBytes > 0) {
      this.cuts.push({ atMs: nowMs, heardMs: this.spurt.playedBytes / BYTES_PER_MS, sentMs: this.spurt.sentBytes / BYTES_PER_MS });
    }
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.played = this.enqueued;
    this.spurt = undefined;
    if (this.quietSinceMs === undefined) this.quietSinceMs = nowMs;
    return this.advance(nowMs);
  }

  /** The agent as the caller heard it, μ-law on the call's timeline (silence where it said nothing), up to `untilMs`. */
  heard(untilMs: number): Uint8Array {
    this.ensure(untilMs * BYTES_PER_MS);
    return this.heardTimeline.slice(0, Math.round(untilMs * BYTES_PER_MS));
  }

  private passMarks(): void {
    while (this.marks.length > 0 && this.marks[0].at <= this.played) this.passed.push(this.marks.shift()!.name);
  }

  private hear(bytes: Uint8Array, atMs: number): void {
    const at = Math.round(atMs * BYTES_PER_MS);
    this.ensure(at + bytes.length);
    this.heardTimeline.set(bytes, at);
  }

  private ensure(bytes: number): void {
    if (bytes <= this.heardTimeline.length) return;
    const grown = new Uint8Array(Math.max(bytes, 2 * this.heardTimeline.length)).fill(SILENCE);
    grown.set(this.heardTimeline);
    this.heardTimeline = grown;
  }
}
