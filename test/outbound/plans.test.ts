import type { Persona } from '../../src/config';
import { CallPlans } from '../../src/outbound/plans';
import { MemorySharedState } from '../../src/store';

const PERSONA: Persona = { name: 'reminders', instructions: 'You are Sam.', instructionsFrom: 'personas/reminders.md', voice: 'marin', greeting: '', language: undefined };
const PLAN = { from: '+14155550100', to: '+14155550123', persona: PERSONA, machine: 'hangup' as const, machineMessage: 'Hello. Goodbye.' };
const TIMING = { connectTimeoutMs: 120_000, keepMs: 3_600_000 };

describe('plans of the calls we placed', () => {
  let now: number;
  let shared: MemorySharedState;
  /** Another instance on the same shared state. */
  let other: CallPlans;
  let plans: CallPlans;
  beforeEach(() => {
    now = 1_000_000;
    shared = new MemorySharedState(() => now);
    plans = new CallPlans(shared, TIMING, () => now);
    other = new CallPlans(shared, TIMING, () => now);
  });

  it('gives each plan an unguessable id, found again by id on any instance, and by CallSid once bound', async () => {
    const a = await plans.add(PLAN);
    const b = await plans.add(PLAN);
    expect(a.id).toMatch(/^[\w-]{16}$/);
    expect(a.id).not.toBe(b.id);
    expect(a.placedAt).toBe(now);
    expect(await other.get(a.id)).toEqual(a);
    expect(await other.forCall('CA1')).toBeUndefined();
    expect(await other.bind(a.id, 'CA1')).toEqual({ ...a, callSid: 'CA1' });
    expect(await plans.bind(a.id, 'CA1')).toEqual({ ...a, callSid: 'CA1' });
    expect(await plans.forCall('CA1')).toEqual({ ...a, callSid: 'CA1' });
  });

  it('belongs to one call: another CallSid cannot take it', async () => {
    const plan = await plans.add(PLAN);
    await plans.bind(plan.id, 'CA1');
    expect(await other.bind(plan.id, 'CA2')).toBeUndefined();
    expect(await other.forCall('CA2')).toBeUndefined();
    expect(await other.bind('no-such-plan', 'CA3')).toBeUndefined();
  });

  it('holds a slot on the placing instance until any instance settles it, or it has not connected in time', async () => {
    const a = await plans.add(PLAN);
    const b = await plans.add(PLAN);
    await plans.add(PLAN);
    expect(plans.pending).toBe(3);
    expect(other.pending).toBe(0);
    await plans.answered(a.id);
    expect(plans.pending).toBe(2);
    await other.ended(b);
    expect(plans.pending).toBe(2); // not known here yet
    await plans.refresh();
    expect(plans.pending).toBe(1);
    now += 120_000;
    expect(plans.pending).toBe(0);
    // An answered call's plan stays for the call's callbacks; an ended call's goes.
    expect(await other.get(a.id)).toEqual(a);
    expect(await other.get(b.id)).toBeUndefined();
  });

  it('has the persona of a placed call at hand once its stream is about to start, on the instance it starts on', async () => {
    const plan = await plans.add(PLAN);
    await plans.bind(plan.id, 'CA1');
    expect(other.loadedFor('CA1')).toBeUndefined();
    await other.load('CA1');
    expect(other.loadedFor('CA1')?.persona).toEqual(PERSONA);
    await other.load('CA2');
    expect(other.loadedFor('CA2')).toBeUndefined();
  });

  it('forgets plans after their calls could have lasted', async () => {
    const plan = await plans.add(PLAN);
    await plans.bind(plan.id, 'CA1');
    await other.load('CA1');
    now += 3_600_000 - 1;
    expect(await plans.forCall('CA1')).toBeDefined();
    expect(other.loadedFor('CA1')).toBeDefined();
    now += 1;
    expect(await plans.forCall('CA1')).toBeUndefined();
    expect(await plans.get(plan.id)).toBeUndefined();
    expect(other.loadedFor('CA1')).toBeUndefined();
  });
});
