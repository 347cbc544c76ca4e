/**
 * The two clocks that end a call on their own: a maximum duration and an idle timeout. Each speaks a
 * warning first (the handlers ask the model to say it), then ends the call.
 */
export interface LimitHandlers {
  /** The call is close to its maximum duration. */
  nearMaxDuration(): void;
  maxDurationReached(): void;
  /** Nobody has said anything for a while: check the caller is still there. */
  idleWarning(): void;
  /** Still nothing after the warning. */
  idleReached(): void;
}

export class CallLimits {
  private durationTimers: NodeJS.Timeout[] = [];
  private idleTimer: NodeJS.Timeout | undefined;
  private warnedIdle = false;
  private callerSpeaking = false;
  private stopped = false;

  constructor(
    private readonly limits: { maxCallMs: number; idleTimeoutMs: number },
    private readonly on: LimitHandlers,
  ) {}

  /** The warning comes this long before the end (a quarter of a short call, at most 30 s). */
  get maxDurationWarningMs(): number {
    return Math.min(30_000, this.limits.maxCallMs / 4);
  }

  start(): void {
    const { maxCallMs } = this.limits;
    this.durationTimers = [
      setTimeout(() => this.on.nearMaxDuration(), maxCallMs - this.maxDurationWarningMs),
      setTimeout(() => this.on.maxDurationReached(), maxCallMs),
    ];
    this.armIdle(this.limits.idleTimeoutMs);
  }

  /** A caller who is talking is not idle, however long they talk: no idle clock until they stop. */
  callerStartedSpeaking(): void {
    if (this.stopped) return;
    this.callerSpeaking = true;
    this.warnedIdle = false;
    clearTimeout(this.idleTimer);
  }

  /** The caller finished a turn: the idle clock starts over. */
  callerStoppedSpeaking(): void {
    if (this.stopped) return;
    this.callerSpeaking = false;
    this.armIdle(this.limits.idleTimeoutMs);
  }

  /** Agent audio played: nobody is idle while it does, but only the caller can answer a warning. */
  agentActivity(): void {
    if (this.stopped || this.callerSpeaking) return;
    this.armIdle(this.warnedIdle ? this.afterWarningMs : this.limits.idleTimeoutMs);
  }

  /** After the warning the caller gets half the idle time again to answer. */
  private get afterWarningMs(): number {
    return Math.max(5_000, this.limits.idleTimeoutMs / 2);
  }

  /** Stops both clocks, e.g. once the call is ending. */
  stop(): void {
    this.stopped = true;
    this.durationTimers.forEach(clearTimeout);
    clearTimeout(this.idleTimer);
  }

  private armIdle(ms: number): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      if (this.warnedIdle) return this.on.idleReached();
      this.warnedIdle = true;
      this.on.idleWarning();
      this.armIdle(this.afterWarningMs);
    }, ms);
  }
}
