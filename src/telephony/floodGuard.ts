/**
 * Counts messages per one-second window. Twilio sends about 50 media messages a second plus mark echoes;
 * a peer sending many times that is not Twilio, and its stream is closed.
 */
export class FloodGuard {
  private windowStart = 0;
  private count = 0;

  constructor(
    private readonly maxPerSecond: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records one message; false once the peer is over the limit in the current window. */
  allow(): boolean {
    const now = this.now();
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.count = 0;
    }
    return ++this.count <= this.maxPerSecond;
  }
}
