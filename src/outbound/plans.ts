import { randomBytes } from 'node:crypto';
import type { Persona } from '../config';
import type { SharedState } from '../store';
import type { MachineChoice } from './request';

/**
 * The calls we placed, held server-side for as long as they may last: who they speak as and what to do with an
 * answering machine. Twilio's webhooks find a plan by the id we put in their URLs (so a webhook that comes before
 * the REST answer does still finds it), the media stream by its CallSid. Nothing the callee does chooses a plan.
 *
 * Plans live in the shared state, so every instance behind a load balancer finds them: the one that placed the
 * call, the ones Twilio's webhooks reach and the one its media stream reaches. Call slots are per instance: the
 * placing instance holds one until some instance says the call connected or ended.
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

export interface PlanTiming {
  /** A call not connected this long after it was placed holds no slot any more. */
  connectTimeoutMs: number;
  /** A plan is forgotten this long after its call was placed, at the latest. */
  keepMs: number;
}

const planKey = (id: string) => `plan:${id}`;
const callKey = (callSid: string) => `plan-of:${callSid}`;
/** Present once the call connected or ended, on whichever instance heard of it: it holds no slot any more. */
const settledKey = (id: string) => `plan-settled:${id}`;

export class CallPlans {
  /** Plans this instance placed that still hold one of its slots, by when they were placed. */
  private readonly slots = new Map<string, number>();
  /** Plans of calls on this instance, read ahead so their persona is at hand the moment the stream starts. */
  private readonly loaded = new Map<string, CallPlan>();

  constructor(
    private readonly shared: SharedState,
    private readonly timing: PlanTiming,
    private readonly now: () => number = Date.now,
  ) {}

  /** Holds a slot for a call about to be placed; resolves to its plan with a fresh id. */
  async add(plan: Omit<CallPlan, 'id' | 'placedAt' | 'callSid'>): Promise<CallPlan> {
    const placed: CallPlan = { ...plan, id: randomBytes(12).toString('base64url'), placedAt: this.now() };
    this.slots.set(placed.id, placed.placedAt);
    await this.save(placed);
    return placed;
  }

  async get(id: string): Promise<CallPlan | undefined> {
    const saved = await this.shared.read(planKey(id));
    return saved === undefined ? undefined : (JSON.parse(saved) as CallPlan);
  }

  /** Ties the plan to its call; resolves to the plan, or undefined when there is none or it belongs to another call. */
  async bind(id: string, callSid: string): Promise<CallPlan | undefined> {
    const plan = await this.get(id);
    if (!plan || (plan.callSid && plan.callSid !== callSid)) return undefined;
    if (plan.callSid) return plan;
    plan.callSid = callSid;
    await Promise.all([this.save(plan), this.shared.put(callKey(callSid), id, this.expiry(plan))]);
    return plan;
  }

  async forCall(callSid: string): Promise<CallPlan | undefined> {
    const id = await this.shared.read(callKey(callSid));
    return id === undefined ? undefined : this.get(id);
  }

  /** Reads the plan of a call whose stream is about to start here, so `loadedFor` has it at once. */
  async load(callSid: string): Promise<void> {
    this.prune();
    const plan = await this.forCall(callSid);
    if (plan) this.loaded.set(callSid, plan);
  }

  /** The plan `load` read for the call, if it was placed. */
  loadedFor(callSid: string): CallPlan | undefined {
    this.prune();
    return this.loaded.get(callSid);
  }

  /** The call was answered: its slot goes, on whichever instance held it. */
  async answered(id: string): Promise<void> {
    this.slots.delete(id);
    await this.shared.put(settledKey(id), '', this.now() + this.timing.keepMs);
  }

  /** The call is over, or was never placed: its slot goes, and so does its plan. */
  async ended(plan: Pick<CallPlan, 'id' | 'callSid'>): Promise<void> {
    await Promise.all([
      this.answered(plan.id),
      this.shared.take(planKey(plan.id)),
      plan.callSid === undefined ? undefined : this.shared.take(callKey(plan.callSid)),
    ]);
  }

  /**
   * Placed calls holding a slot here: not answered or ended yet, and not given up on. Counts what this instance
   * knows; `refresh` first learns what other instances heard.
   */
  get pending(): number {
    const since = this.now() - this.timing.connectTimeoutMs;
    for (const [id, placedAt] of this.slots) if (placedAt <= since) this.slots.delete(id);
    return this.slots.size;
  }

  /** Frees the slots of calls that another instance heard connect or end. */
  async refresh(): Promise<void> {
    const ids = [...this.slots.keys()];
    const settled = await Promise.all(ids.map((id) => this.shared.read(settledKey(id))));
    ids.forEach((id, i) => settled[i] !== undefined && this.slots.delete(id));
  }

  private save(plan: CallPlan): Promise<void> {
    return this.shared.put(planKey(plan.id), JSON.stringify(plan), this.expiry(plan));
  }

  private expiry(plan: CallPlan): number {
    return plan.placedAt + this.timing.keepMs;
  }

  private prune(): void {
    const cutoff = this.now() - this.timing.keepMs;
    // Insertion order is loading order, close to placing order: stop at the first plan still kept.
    for (const [callSid, plan] of this.loaded) {
      if (plan.placedAt > cutoff) break;
      this.loaded.delete(callSid);
    }
  }
}
