import { emptyUsage, type CallStore, type EndReason } from '../../src/store';

/**
 * A month of made-up calls for the overview page, its browser test and the README screenshots: a few a day, more
 * on weekdays, with replies, barge-ins, tool calls, transfers and some calls nobody answered. Deterministic: the
 * same calls for the same `now`.
 */

const DAY = 86_400_000;
const TOOLS = ['check_availability', 'book_appointment', 'lookup_order', 'transfer_call'];
const ENDINGS: EndReason[] = ['caller-hung-up', 'caller-hung-up', 'caller-hung-up', 'agent-ended', 'agent-ended', 'idle-timeout'];

export interface SeededMonth {
  calls: number;
  /** Days (UTC midnight) that have calls, oldest first. */
  days: number;
}

/** Seeds `days` days of calls ending the day before `now` (UTC days). */
export async function seedOverviewCalls(store: CallStore, options: { now: number; days?: number }): Promise<SeededMonth> {
  const days = options.days ?? 30;
  const today = Math.floor(options.now / DAY) * DAY;
  let seed = 7;
  const next = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const writes: Array<Promise<unknown>> = [];
  let calls = 0;
  for (let d = days; d >= 1; d--) {
    const midnight = today - d * DAY;
    const weekday = new Date(midnight).getUTCDay() % 6 !== 0;
    const count = (weekday ? 6 : 2) + Math.floor(next() * 5);
    for (let c = 0; c < count; c++) {
      calls++;
      const callSid = `CAov${String(calls).padStart(4, '0')}`;
      const startedAt = midnight + (8 + next() * 9) * 3_600_000;
      const placed = { direction: 'outbound' as const, from: '+14155550100', to: '+14155550177', model: 'gpt-realtime', voice: 'marin', personaName: 'reminders', audioMode: 'pcm16' as const, startedAt };
      if (next() < 0.08) {
        writes.push(store.progress({ callSid, outcome: next() < 0.5 ? 'busy' : 'no-answer', at: startedAt + 25_000, call: placed }));
        continue;
      }
      const answeredAt = startedAt + 400;
      writes.push(
        store.open({ callSid, streamSid: `MZ${callSid}`, direction: 'inbound', from: `+1415555${String(1000 + calls).slice(-4)}`, to: '+14155550100', startedAt, answeredAt, model: 'gpt-realtime', voice: 'marin', personaName: 'Ada', audioMode: 'pcm16' }),
      );
      const replies = 2 + Math.floor(next() * 5);
      let bargeIns = 0;
      const latencies: number[] = [];
      for (let r = 0; r < replies; r++) {
        const at = answeredAt + 4000 + r * 7000;
        const interrupted = next() < 0.15;
        if (interrupted) bargeIns++;
        const latencyMs = Math.round(450 + next() * 500 + (d % 7 === 3 ? 400 : 0));
        latencies.push(latencyMs);
        writes.push(store.addTurn(callSid, { role: 'caller', text: 'A question.', at: at - 2500, interrupted: false }));
        writes.push(store.addTurn(callSid, { role: 'agent', text: 'An answer.', at, interrupted, heardMs: interrupted ? 1200 : 3000, spokenMs: 3000, latencyMs }));
      }
      const transferred = next() < 0.1;
      const tools = transferred ? ['transfer_call'] : next() < 0.5 ? [TOOLS[Math.floor(next() * 3)]] : [];
      for (const name of tools) writes.push(store.addEvent(callSid, { at: answeredAt + 6000, type: 'tool-call', summary: `${name} → ok`, detail: { name } }));
      const lengthMs = 20_000 + replies * 7000 + Math.round(next() * 60_000);
      writes.push(
        store.updateStats(callSid, {
          bargeIns,
          firstAudioMs: Math.round(650 + next() * 400),
          turnLatenciesMs: latencies,
          usage: emptyUsage(),
          costUsd: Math.round((lengthMs / 60_000) * 0.11 * 1e4) / 1e4,
        }),
      );
      writes.push(store.close(callSid, { endedAt: answeredAt + lengthMs, endReason: transferred ? 'transferred' : ENDINGS[Math.floor(next() * ENDINGS.length)] }));
    }
  }
  await Promise.all(writes);
  return { calls, days };
}
