import type { CallOutcome } from './types';

/** Every outcome in the order a call goes through them; the five final ones share the last step. */
const STEP: Record<CallOutcome, number> = {
  queued: 0,
  initiated: 1,
  ringing: 2,
  'in-progress': 3,
  completed: 4,
  busy: 4,
  'no-answer': 4,
  failed: 4,
  canceled: 4,
};
export const CALL_OUTCOMES = Object.keys(STEP) as CallOutcome[];

export function isCallOutcome(value: string): value is CallOutcome {
  return Object.hasOwn(STEP, value);
}

/** The call is over: nothing Twilio reports afterwards changes its outcome. */
export function isFinalOutcome(outcome: CallOutcome): boolean {
  return STEP[outcome] === STEP.completed;
}

/** Status callbacks can arrive out of order: the outcome only moves forward, and a final one stays. */
export function laterOutcome(current: CallOutcome | undefined, next: CallOutcome): CallOutcome {
  return current !== undefined && STEP[current] >= STEP[next] ? current : next;
}
