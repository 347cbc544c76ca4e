import type { Persona } from '../../src/config';
import { CallPlans } from '../../src/outbound/plans';

const PERSONA: Persona = { name: 'reminders', instructions: 'You are Sam.', instructionsFrom: 'personas/reminders.md', voice: 'marin', greeting: '', language: undefined };
const PLAN = { from: '+14155550100', to: '+14155550123', persona: PERSONA, machine: 'hangup' as const, machineMessage: 'Hello. Goodbye.' };

describe('plans of the calls we placed', () => {
  let now: number;
  let plans: CallPlans;
  beforeEach(() => {
    now = 1_000_000;
    plans = new CallPlans({ connectTimeoutMs: 120_000, keepMs: 3_600_000 }, () => now);
  });

  it('gives each plan an unguessable id, found again by id, and by CallSid once bound', () => {
    const a = plans.add(PLAN);
    const b = plans.add(PLAN);
    expect(a.id).toMatch(/^[\w-]{16}$/);
    expect(a.id).not.toBe(b.id);
    expect(a.placedAt).toBe(now);
    expect(plans.get(a.id)).toBe(a);
    expect(plans.forCall('CA1')).toBeUndefined();
    expect(plans.bind(a.id, 'CA1')).toBe(true);
    expect(plans.bind(a.id, 'CA1')).toBe(true);
    expect(plans.forCall('CA1')).toBe(a);
  });

  it('belongs to one call: another CallSid cannot take it', () => {
    const plan = plans.add(PLAN);
    plans.bind(plan.id, 'CA1');
    expect(plans.bind(plan.id, 'CA2')).toBe(false);
    expect(plans.forCall('CA2')).toBeUndefined();
    expect(plans.bind('no-such-plan', 'CA3')).toBe(false);
  });

  it('holds a slot until the call connects, is done, or has not connected in time', () => {
    const a = plans.add(PLAN);
    const b = plans.add(PLAN);
    const c = plans.add(PLAN);
    expect(plans.pending).toBe(3);
    plans.connected(a.id);
    expect(plans.pending).toBe(2);
    plans.done(b.id);
    expect(plans.pending).toBe(1);
    expect(plans.get(b.id)).toBeUndefined();
    now += 120_000;
    expect(plans.pending).toBe(0);
    // A connected call's plan stays for the call's callbacks.
    expect(plans.get(a.id)).toBe(a);
    expect(plans.get(c.id)).toBe(c);
  });

  it('forgets plans after their calls could have lasted', () => {
    const plan = plans.add(PLAN);
    plans.bind(plan.id, 'CA1');
    now += 3_600_000 - 1;
    expect(plans.forCall('CA1')).toBe(plan);
    now += 1;
    expect(plans.forCall('CA1')).toBeUndefined();
    expect(plans.get(plan.id)).toBeUndefined();
  });
});
