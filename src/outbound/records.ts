import type { Config } from '../config';
import type { Logger } from '../log';
import type { CallEvent, CallOutcome, CallProgress, CallStore, Direction } from '../store';
import type { CallPlan } from './plans';

/**
 * What Twilio tells us about a call beyond its stream, written to its record: the call being placed, its progress
 * (ringing, answered, how it ended) and who answered. Each method resolves once the record is written and never
 * rejects: a failing database never fails the webhook, it is logged.
 */

export type ProgressStore = Pick<CallStore, 'progress' | 'addEvent'>;

const STATUS_NOTES: Partial<Record<CallOutcome, string>> = {
  ringing: 'ringing',
  'in-progress': 'answered',
  completed: 'the call completed',
  busy: 'the line was busy',
  'no-answer': 'nobody answered',
  failed: 'the call could not be connected',
  canceled: 'the call was canceled before it was answered',
};

const ANSWERED_BY: Record<string, string> = {
  human: 'a person answered',
  machine_start: 'an answering machine answered',
  machine_end_beep: 'an answering machine answered; its greeting ended with a beep',
  machine_end_silence: 'an answering machine answered; its greeting ended in silence',
  machine_end_other: 'an answering machine answered; its greeting ended',
  fax: 'a fax machine answered',
  unknown: 'answering machine detection could not tell who answered',
};

/** Who answered, as a line for the record. */
function describeAnsweredBy(answeredBy: string): string {
  return ANSWERED_BY[answeredBy] ?? `answering machine detection said "${answeredBy}"`;
}

export class ProgressRecords {
  constructor(
    private readonly store: ProgressStore | undefined,
    private readonly config: Pick<Config, 'openai' | 'persona' | 'audioMode'>,
    private readonly log: Logger,
    private readonly now: () => number,
    /** This server instance, on the records it starts. */
    private readonly instanceId?: string,
  ) {}

  /** A call we placed: on record from the start, so it is there even if it never connects. */
  placed(plan: CallPlan, callSid: string, detail: Record<string, unknown>): Promise<void> {
    return this.write(callSid, async (store) => {
      await store.progress({ callSid, outcome: 'queued', at: plan.placedAt, call: this.callOf({ plan }) });
      await this.event(store, callSid, { type: 'note', summary: `placed through the API, as ${plan.persona.name}`, detail });
    });
  }

  /** A status callback: the outcome moves forward; what changed is noted. */
  status(callSid: string, outcome: CallOutcome, params: Record<string, string>, plan: CallPlan | undefined): Promise<void> {
    return this.write(callSid, async (store) => {
      const onRecord = await store.progress({ callSid, outcome, at: this.now(), call: this.callOf({ plan, params }) });
      const note = STATUS_NOTES[outcome];
      // A repeated or late callback (a ringing after the answer) changes nothing and is not noted again.
      if (!note || onRecord !== outcome) return;
      const seconds = params.CallDuration !== undefined ? Number(params.CallDuration) : undefined;
      const summary = outcome === 'completed' && Number.isFinite(seconds) ? `${note} after ${seconds} s` : note;
      await this.event(store, callSid, { type: 'note', summary, detail: pick(params, ['CallStatus', 'CallDuration', 'SipResponseCode', 'ErrorCode', 'ErrorMessage']) });
    });
  }

  /** Twilio's answering machine detection: who answered. */
  answeredBy(callSid: string, answeredBy: string, params: Record<string, string>, plan: CallPlan | undefined): Promise<void> {
    return this.write(callSid, async (store) => {
      await store.progress({ callSid, outcome: 'in-progress', at: this.now(), call: this.callOf({ plan, params }) });
      await this.event(store, callSid, { type: 'note', summary: describeAnsweredBy(answeredBy), detail: pick(params, ['AnsweredBy', 'MachineDetectionDuration']) });
    });
  }

  /** The record of a call not on record yet: our plan's facts for a call we placed, else what Twilio says. */
  private callOf({ plan, params = {} }: { plan?: CallPlan; params?: Record<string, string> }): CallProgress['call'] {
    const persona = plan?.persona ?? this.config.persona;
    const outbound = plan !== undefined || (params.Direction ?? '').startsWith('outbound');
    const direction: Direction = outbound ? 'outbound' : 'inbound';
    return {
      direction,
      from: plan?.from ?? params.From ?? '',
      to: plan?.to ?? params.To ?? '',
      startedAt: plan?.placedAt ?? this.now(),
      model: this.config.openai.model,
      voice: persona.voice,
      personaName: persona.name,
      audioMode: this.config.audioMode,
      ...(this.instanceId !== undefined ? { instanceId: this.instanceId } : {}),
    };
  }

  private event(store: ProgressStore, callSid: string, event: Omit<CallEvent, 'at'>): Promise<void> {
    return store.addEvent(callSid, { at: this.now(), ...event });
  }

  private async write(callSid: string, write: (store: ProgressStore) => Promise<void>): Promise<void> {
    if (!this.store) return;
    try {
      await write(this.store);
    } catch (err) {
      this.log.error('could not write to the call record', { callSid, error: (err as Error).message });
    }
  }
}

function pick(params: Record<string, string>, names: string[]): Record<string, string> {
  return Object.fromEntries(names.filter((name) => params[name] !== undefined && params[name] !== '').map((name) => [name, params[name]]));
}
