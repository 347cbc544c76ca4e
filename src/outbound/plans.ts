import { randomBytes } from 'node:crypto';
import type { Persona } from '../config';
import type { MachineChoice } from './request';

/**
 * The calls we placed, held server-side for as long as they may last: who they speak as and what to do with an
 * answering machine. Twilio's webhooks find a plan by the id we put in their URLs (so a webhook that comes before
 * the REST answer does still finds it), the media stream by its CallSid. Nothing the callee does chooses a plan.
 */

export interface CallPlan {
  id: string;
  from: string;
  to: string;
  persona: Persona;
  machine: MachineChoice;
  /** What the agent says to an answering machine, when `machine` is `message`. */
  machineMessage: string;
  placedAt: number;
  /** Known once Twilio's REST answer or the first webhook names it. */
  callSid?: string;
}

interface Held {
  plan: CallPlan;
  /** Until the call connects (or fails), it holds one of the server's call slots. */
  holdsSlot: boolean;
}

export interface PlanTiming {
  /** A call not connected this long after it was placed holds no slot any more. */
  connectTimeoutMs: number;
  /** A plan is forgotten this long after its call was placed, at the latest. */
  keepMs: number;
}

export class CallPlans {
  private readonly plans = new Map<string, Held>();
  private readonly bySid = new Map<string, string>();

  constructor(
    private readonly timing: PlanTiming,
    private readonly now: () => number = Date.now,
  ) {}

  /** Holds a slot for a call about to be placed; returns its plan with a fresh id. */
  add(plan: Omit<CallPlan, 'id' | 'placedAt' | 'callSid'>): CallPlan {
    this.prune();
    const held: Held = { plan: { ...plan, id: randomBytes(12).toString('base64url'), placedAt: this.now() }, holdsSlot: true };
    this.plans.set(held.plan.id, held);
    return held.plan;
  }

  get(id: string): CallPlan | undefined {
    this.prune();
    return this.plans.get(id)?.plan;
  }

  /** Ties the plan to its call. False when it belongs to another call already. */
  bind(id: string, callSid: string): boolean {
    const held = this.plans.get(id);
    if (!held) return false;
    if (held.plan.callSid && held.plan.callSid !== callSid) return false;
    held.plan.callSid = callSid;
    this.bySid.set(callSid, id);
    return true;
  }

  forCall(callSid: string): CallPlan | undefined {
    this.prune();
    const id = this.bySid.get(callSid);
    return id === undefined ? undefined : this.plans.get(id)?.plan;
  }

  /** The call was answered: from now on the stream's token, then the call itself, holds its slot. */
  connected(id: string): void {
    const held = this.plans.get(id);
    if (held) held.holdsSlot = false;
  }

  /** The call is over, or was never placed: its plan and its slot go. */
  done(id: string): void {
    const held = this.plans.get(id);
    if (!held) return;
    this.plans.delete(id);
    if (held.plan.callSid) this.bySid.delete(held.plan.callSid);
  }

  /** Placed calls holding a slot: not connected yet, and not given up on. */
  get pending(): number {
    this.prune();
    const since = this.now() - this.timing.connectTimeoutMs;
    let n = 0;
    for (const { plan, holdsSlot } of this.plans.values()) if (holdsSlot && plan.placedAt > since) n++;
    return n;
  }

  private prune(): void {
    const cutoff = this.now() - this.timing.keepMs;
    // Insertion order is placing order: stop at the first plan still kept.
    for (const [id, { plan }] of this.plans) {
      if (plan.placedAt > cutoff) break;
      this.done(id);
    }
  }
}
