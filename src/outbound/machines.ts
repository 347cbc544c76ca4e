import type { Logger } from '../log';
import type { SharedState } from '../store';

/** The part of an active call that hears who answered it. */
export interface MachineListener {
  answeredByMachine(message: string | undefined): void;
}

export interface MachineTiming {
  /** How often an instance carrying a placed call looks for a detection result that reached another instance. */
  pollMs: number;
  /** How long after its stream starts a placed call is watched: past Twilio's longest detection. */
  watchMs: number;
}

/** Twilio's detection ends within its 30 s MachineDetectionTimeout after the answer; the stream starts after that. */
export const MACHINE_TIMING: MachineTiming = { pollMs: 500, watchMs: 60_000 };

const answerKey = (callSid: string) => `machine:${callSid}`;

/**
 * That a machine answered a placed call reaches the call wherever its stream is. Twilio posts the detection result
 * to any instance; the call may be active on another one. The result is handed over at once when the call is here,
 * otherwise through the shared state, where the instance carrying the call looks for it while it watches the call.
 */
export class MachineAnswers {
  constructor(
    private readonly shared: SharedState,
    private readonly callFor: (callSid: string) => MachineListener | undefined,
    private readonly log: Logger,
    private readonly timing: MachineTiming = MACHINE_TIMING,
    private readonly now: () => number = Date.now,
  ) {}

  /** A machine answered the call: `message` is what to leave on it, none to hang up. */
  async answered(callSid: string, message: string | undefined): Promise<void> {
    const call = this.callFor(callSid);
    if (call) return call.answeredByMachine(message);
    await this.shared.put(answerKey(callSid), JSON.stringify({ message: message ?? null }), this.now() + this.timing.watchMs);
  }

  /** Watches a placed call whose stream starts here, until it ends or the detection is over. */
  watch(callSid: string): void {
    const until = this.now() + this.timing.watchMs;
    let seen = false;
    const timer = setInterval(() => void look(), this.timing.pollMs);
    timer.unref();
    const look = async () => {
      const call = this.callFor(callSid);
      if (call) seen = true;
      if ((seen && !call) || this.now() >= until) return clearInterval(timer);
      if (!call) return; // the stream has not started yet
      try {
        // Read first: a read takes no write lock, and nearly every look finds nothing.
        if ((await this.shared.read(answerKey(callSid))) === undefined) return;
        const answer = await this.shared.take(answerKey(callSid));
        if (answer === undefined) return;
        clearInterval(timer);
        call.answeredByMachine((JSON.parse(answer) as { message: string | null }).message ?? undefined);
      } catch (err) {
        this.log.warn('could not look for who answered a placed call', { callSid, error: (err as Error).message });
      }
    };
  }
}
