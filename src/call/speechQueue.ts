/** Something the agent must say, as instructions for one model response. */
export interface Speech {
  /** None: the model answers what it was just given (a tool result, a key press). */
  instructions?: string;
  /** Pointless once the caller talks (e.g. "are you still there?"): dropped then, not deferred. */
  obsoleteWhenCallerSpeaks?: boolean;
  /** The call ends once this has been said and heard. */
  goodbye?: boolean;
}

/**
 * What the agent must say next, in order, asked of the model one response at a time and never over the
 * caller. A request is sent only when no response is running, none of ours is on its way and the caller is
 * not talking; a caller who takes the turn gets the model's answer first, and what waits here follows it.
 *
 * The model may start a response of its own (its turn detection answering the caller) just as we ask for
 * one: ours is then refused as busy and goes back to the front of the queue.
 */
export class SpeechQueue {
  private readonly queue: Speech[] = [];
  /** Ours, asked for, not yet seen to start. */
  private requested: Speech | undefined;
  private active: { id: string; speech: Speech | undefined } | undefined;
  private callerSpeaking = false;
  /** No model session to ask: until the first one is ready, and while a lost one is replaced. */
  private paused = true;

  constructor(private readonly request: (instructions: string | undefined) => void) {}

  /** Nothing is being said or asked for, and nothing waits. */
  get idle(): boolean {
    return !this.active && !this.requested && this.queue.length === 0;
  }

  say(speech: Speech): void {
    this.queue.push(speech);
    this.next();
  }

  /** The call is not ending after all: no goodbye is said, or said again. */
  forgetGoodbyes(): void {
    for (let i = this.queue.length - 1; i >= 0; i--) if (this.queue[i].goodbye) this.queue.splice(i, 1);
    if (this.active?.speech?.goodbye) this.active.speech = undefined;
  }

  /** Forgets everything waiting, e.g. because the call is ending with a goodbye of its own. */
  clear(): void {
    this.queue.length = 0;
  }

  /** A response started: ours if we asked for one. */
  responseStarted(id: string): void {
    this.active = { id, speech: this.requested };
    this.requested = undefined;
  }

  /**
   * The model refused our request because a response is already running. It refuses in order, after
   * announcing that response, which may have been taken for ours.
   */
  refusedAsBusy(): void {
    const ours = this.requested ?? this.active?.speech;
    if (!ours) return;
    if (this.active?.speech === ours) this.active.speech = undefined;
    this.requested = undefined;
    this.queue.unshift(ours);
  }

  /** A response ended; returns what it said for us, if it was ours and was not cut off. */
  responseDone(id: string, cancelled: boolean): Speech | undefined {
    const speech = this.active?.id === id ? this.active.speech : undefined;
    if (this.active?.id === id) this.active = undefined;
    // A goodbye the caller talked over is said again once they have had their answer.
    if (speech?.goodbye && cancelled) this.queue.unshift(speech);
    this.next();
    return cancelled ? undefined : speech;
  }

  callerStartedSpeaking(): void {
    this.callerSpeaking = true;
    for (let i = this.queue.length - 1; i >= 0; i--) if (this.queue[i].obsoleteWhenCallerSpeaks) this.queue.splice(i, 1);
  }

  /** The caller's turn ended; the model answers it on its own, and what waits here follows that answer. */
  callerStoppedSpeaking(): void {
    this.callerSpeaking = false;
  }

  /** The model session is gone, and with it any response running or asked for, and the caller's turn. */
  sessionLost(): void {
    if (this.requested) this.queue.unshift(this.requested);
    this.requested = undefined;
    this.active = undefined;
    this.callerSpeaking = false;
    this.paused = true;
  }

  /** A session is ready: say what waits. */
  resume(): void {
    this.paused = false;
    this.next();
  }

  private next(): void {
    if (this.paused || this.active || this.requested || this.callerSpeaking) return;
    const speech = this.queue.shift();
    if (!speech) return;
    this.requested = speech;
    this.request(speech.instructions);
  }
}
