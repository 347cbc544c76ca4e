import { emptyUsage, type CallStore, type NewCall, type OverviewRange, type UtcOffsetStep } from '../../src/store';
import type { ContractDatabase, ContractEngine } from './contract';

/**
 * What every call store's `overview` answers, whatever keeps it: run by sqlite.contract.test.ts and
 * postgres.contract.test.ts. The expected numbers are written out, so both engines are held to the same ones.
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Midnight UTC, Thursday 1 May 2025. */
const MAY_1 = Date.UTC(2025, 4, 1);
const UTC: UtcOffsetStep[] = [{ from: 0, offsetMs: 0 }];

function days(count: number, offsets = UTC, since = MAY_1): OverviewRange {
  return { since, until: since + count * DAY, offsets };
}

interface SeedCall {
  callSid: string;
  startedAt: number;
  /** Talk time; undefined leaves the call open. */
  lengthMs?: number;
  endReason?: 'caller-hung-up' | 'agent-ended' | 'transferred' | 'idle-timeout';
  firstAudioMs?: number;
  replyLatenciesMs?: number[];
  bargeIns?: number;
  costUsd?: number;
  tools?: string[];
}

/** Writes a call as a live one would, without waiting for each write. */
function seed(store: CallStore, call: SeedCall): Promise<unknown> {
  const answeredAt = call.startedAt + 300;
  const open: NewCall = {
    callSid: call.callSid,
    streamSid: `MZ${call.callSid}`,
    direction: 'inbound',
    from: '+15550001111',
    to: '+15559990000',
    startedAt: call.startedAt,
    answeredAt,
    model: 'gpt-realtime',
    voice: 'marin',
    personaName: 'Ada',
    audioMode: 'pcm16',
  };
  const writes: Array<Promise<unknown>> = [store.open(open)];
  (call.replyLatenciesMs ?? []).forEach((latencyMs, i) => {
    const at = answeredAt + 2000 * (i + 1);
    writes.push(store.addTurn(call.callSid, { role: 'caller', text: `question ${i}`, at: at - 1500, interrupted: false }));
    writes.push(store.addTurn(call.callSid, { role: 'agent', text: `answer ${i}`, at, interrupted: false, heardMs: 900, spokenMs: 900, latencyMs }));
  });
  // An agent turn without a latency (the greeting) is not a reply.
  writes.push(store.addTurn(call.callSid, { role: 'agent', text: 'Hello!', at: answeredAt + 500, interrupted: false, heardMs: 400, spokenMs: 400 }));
  for (const [i, name] of (call.tools ?? []).entries()) {
    writes.push(store.addEvent(call.callSid, { at: answeredAt + 100 + i, type: 'tool-call', summary: `${name} → ok`, detail: { name, arguments: {} } }));
  }
  writes.push(store.addEvent(call.callSid, { at: answeredAt + 50, type: 'note', summary: 'not a tool call' }));
  writes.push(
    store.updateStats(call.callSid, {
      bargeIns: call.bargeIns ?? 0,
      firstAudioMs: call.firstAudioMs,
      turnLatenciesMs: call.replyLatenciesMs ?? [],
      usage: emptyUsage(),
      costUsd: call.costUsd ?? 0,
    }),
  );
  if (call.lengthMs !== undefined) {
    writes.push(store.close(call.callSid, { endedAt: answeredAt + call.lengthMs, endReason: call.endReason ?? 'caller-hung-up' }));
  }
  return Promise.all(writes);
}

const placed = {
  direction: 'outbound' as const,
  from: '+15559990000',
  to: '+15550001111',
  model: 'gpt-realtime',
  voice: 'cedar',
  personaName: 'reminders',
  audioMode: 'pcm16' as const,
};

const NO_VALUES = { count: 0, p50: null, p90: null };

export function overviewContract(engine: ContractEngine): void {
  describe(`${engine.name} call store overview`, () => {
    let database: ContractDatabase;
    let store: CallStore;

    beforeEach(async () => {
      database = await engine.newDatabase();
      store = await database.open();
    });
    afterEach(async () => {
      await store.shutdown();
      await database.drop();
    });

    it('an empty database: every day of the range, all zero, no percentiles', async () => {
      const overview = await store.overview(days(3));
      expect(overview.since).toBe(MAY_1);
      expect(overview.until).toBe(MAY_1 + 3 * DAY);
      expect(overview.days.map((d) => d.day)).toEqual(['2025-05-01', '2025-05-02', '2025-05-03']);
      const zero = {
        calls: 0,
        connected: 0,
        notConnected: 0,
        open: 0,
        durationMs: 0,
        costUsd: 0,
        bargeIns: 0,
        callsWithBargeIn: 0,
        bargeInsPerCall: null,
        bargeInShare: null,
        toolCalls: 0,
        callsWithToolCalls: 0,
        transfers: 0,
        firstAudioMs: NO_VALUES,
        replyMs: NO_VALUES,
      };
      expect(overview.totals).toEqual(zero);
      for (const day of overview.days) expect(day).toEqual({ day: day.day, ...zero });
      expect(overview.endings).toEqual([]);
      expect(overview.tools).toEqual([]);
    });

    it('one day: calls, talk time, cost, barge-ins, tool use, transfers and endings', async () => {
      const at = MAY_1 + 9 * HOUR;
      void seed(store, { callSid: 'CA1', startedAt: at, lengthMs: 60_000, firstAudioMs: 800, replyLatenciesMs: [500, 700], bargeIns: 2, costUsd: 0.1234561, tools: ['check_availability', 'book_appointment'] });
      void seed(store, { callSid: 'CA2', startedAt: at + HOUR, lengthMs: 30_000, firstAudioMs: 600, bargeIns: 0, costUsd: 0.05, tools: ['transfer_call'], endReason: 'transferred' });
      void seed(store, { callSid: 'CA3', startedAt: at + 2 * HOUR, lengthMs: 90_000, firstAudioMs: 1000, replyLatenciesMs: [900], bargeIns: 1, costUsd: 0.2, tools: ['check_availability'], endReason: 'agent-ended' });
      // Not awaited: the overview sees every write asked for before it.
      const overview = await store.overview(days(1));

      expect(overview.days).toHaveLength(1);
      const expected = {
        calls: 3,
        connected: 3,
        notConnected: 0,
        open: 0,
        durationMs: 180_000,
        costUsd: 0.373456,
        bargeIns: 3,
        callsWithBargeIn: 2,
        bargeInsPerCall: 1,
        bargeInShare: 2 / 3,
        toolCalls: 4,
        callsWithToolCalls: 3,
        transfers: 1,
        firstAudioMs: { count: 3, p50: 800, p90: 1000 },
        replyMs: { count: 3, p50: 700, p90: 900 },
      };
      expect(overview.totals).toEqual(expected);
      expect(overview.days[0]).toEqual({ day: '2025-05-01', ...expected });
      expect(overview.endings).toEqual([
        { ending: 'agent-ended', calls: 1 },
        { ending: 'caller-hung-up', calls: 1 },
        { ending: 'transferred', calls: 1 },
      ]);
      expect(overview.tools).toEqual([
        { name: 'check_availability', calls: 2 },
        { name: 'book_appointment', calls: 1 },
        { name: 'transfer_call', calls: 1 },
      ]);
    });

    it('several days: each call on the day it started, days without calls kept, totals over all', async () => {
      await seed(store, { callSid: 'CAday1a', startedAt: MAY_1 + 1 * HOUR, lengthMs: 10_000, firstAudioMs: 700, costUsd: 0.01 });
      await seed(store, { callSid: 'CAday1b', startedAt: MAY_1 + 23 * HOUR, lengthMs: 20_000, firstAudioMs: 900, costUsd: 0.02, bargeIns: 1 });
      // Day 2 has none; day 3 has one that is still going past midnight.
      await seed(store, { callSid: 'CAday3', startedAt: MAY_1 + 2 * DAY + 23.9 * HOUR, lengthMs: 600_000, firstAudioMs: 650, costUsd: 0.5, replyLatenciesMs: [400] });
      await seed(store, { callSid: 'CAday4', startedAt: MAY_1 + 3 * DAY + HOUR, lengthMs: 5_000 });

      const overview = await store.overview(days(4));
      expect(overview.days.map((d) => [d.day, d.calls, d.durationMs, d.costUsd, d.bargeIns, d.firstAudioMs.p50])).toEqual([
        ['2025-05-01', 2, 30_000, 0.03, 1, 700],
        ['2025-05-02', 0, 0, 0, 0, null],
        ['2025-05-03', 1, 600_000, 0.5, 0, 650],
        ['2025-05-04', 1, 5_000, 0, 0, null],
      ]);
      expect(overview.days[1].bargeInsPerCall).toBeNull();
      expect(overview.days[0]).toMatchObject({ bargeInsPerCall: 0.5, bargeInShare: 0.5 });
      expect(overview.totals).toMatchObject({ calls: 4, connected: 4, durationMs: 635_000, costUsd: 0.53, bargeIns: 1, callsWithBargeIn: 1 });
      expect(overview.totals.firstAudioMs).toEqual({ count: 3, p50: 700, p90: 900 });
      expect(overview.totals.replyMs).toEqual({ count: 1, p50: 400, p90: 400 });
      expect(overview.days[2].replyMs).toEqual({ count: 1, p50: 400, p90: 400 });
    });

    it('percentiles are nearest-rank: the value at rank ⌈p·n/100⌉, per day and over the range', async () => {
      // Day 1: first audio 100…1000 (n 10: p50 rank 5, p90 rank 9), written out of order.
      const firstAudio = [700, 100, 1000, 300, 500, 900, 200, 800, 400, 600];
      for (const [i, ms] of firstAudio.entries()) void seed(store, { callSid: `CAa${i}`, startedAt: MAY_1 + i * 60_000, lengthMs: 1000, firstAudioMs: ms });
      // Day 2: three calls (p50 rank 2, p90 rank 3), one without a first audio; replies 40 values, some repeated.
      void seed(store, { callSid: 'CAb0', startedAt: MAY_1 + DAY, lengthMs: 1000, firstAudioMs: 2500, replyLatenciesMs: Array.from({ length: 20 }, (_, i) => 1000 - i * 10) });
      void seed(store, { callSid: 'CAb1', startedAt: MAY_1 + DAY + 1, lengthMs: 1000, firstAudioMs: 1500, replyLatenciesMs: Array.from({ length: 20 }, (_, i) => 500 + (i % 4)) });
      void seed(store, { callSid: 'CAb2', startedAt: MAY_1 + DAY + 2, lengthMs: 1000 });
      void seed(store, { callSid: 'CAb3', startedAt: MAY_1 + DAY + 3, lengthMs: 1000, firstAudioMs: 1200 });

      const overview = await store.overview(days(2));
      expect(overview.days[0].firstAudioMs).toEqual({ count: 10, p50: 500, p90: 900 });
      expect(overview.days[1].firstAudioMs).toEqual({ count: 3, p50: 1500, p90: 2500 });
      // All 13: ranks 7 and 12 of 100…1000, 1200, 1500, 2500.
      expect(overview.totals.firstAudioMs).toEqual({ count: 13, p50: 700, p90: 1500 });
      const replies = [...Array.from({ length: 20 }, (_, i) => 1000 - i * 10), ...Array.from({ length: 20 }, (_, i) => 500 + (i % 4))].sort((a, b) => a - b);
      // n 40: p50 is rank 20, p90 rank 36.
      expect(overview.days[1].replyMs).toEqual({ count: 40, p50: replies[19], p90: replies[35] });
      expect(overview.days[1].replyMs).toEqual({ count: 40, p50: 503, p90: 960 });
      expect(overview.days[0].replyMs).toEqual(NO_VALUES);
    });

    it('a range is [since, until): a call at since counts, one at until does not; days are local, as the offsets say', async () => {
      const since = MAY_1 + 6 * HOUR;
      await seed(store, { callSid: 'CAbefore', startedAt: since - 1, lengthMs: 1000 });
      await seed(store, { callSid: 'CAfirst', startedAt: since, lengthMs: 1000 });
      await seed(store, { callSid: 'CAlast', startedAt: since + DAY - 1, lengthMs: 1000 });
      await seed(store, { callSid: 'CAafter', startedAt: since + DAY, lengthMs: 1000 });

      const utc = await store.overview({ since, until: since + DAY, offsets: UTC });
      expect(utc.totals.calls).toBe(2);
      // 06:00 to 06:00 UTC touches two UTC days.
      expect(utc.days.map((d) => [d.day, d.calls])).toEqual([
        ['2025-05-01', 1],
        ['2025-05-02', 1],
      ]);

      // Six hours behind UTC, the same instants are midnight to midnight of one local day.
      const behind = await store.overview({ since, until: since + DAY, offsets: [{ from: 0, offsetMs: -6 * HOUR }] });
      expect(behind.days.map((d) => [d.day, d.calls])).toEqual([['2025-05-01', 2]]);

      // A clock change inside the range applies from its instant on: a call at 23:30 UTC is on 1 May while local
      // time is UTC, on 2 May (00:30) once it is UTC+1.
      await seed(store, { callSid: 'CAlate', startedAt: MAY_1 + 23.5 * HOUR, lengthMs: 1000 });
      const changeAfter = await store.overview({ since, until: since + DAY, offsets: [{ from: since, offsetMs: 0 }, { from: MAY_1 + 30 * HOUR, offsetMs: HOUR }] });
      expect(changeAfter.days.map((d) => [d.day, d.calls])).toEqual([
        ['2025-05-01', 2],
        ['2025-05-02', 1],
      ]);
      const changeBefore = await store.overview({ since, until: since + DAY, offsets: [{ from: since, offsetMs: 0 }, { from: MAY_1 + 12 * HOUR, offsetMs: HOUR }] });
      expect(changeBefore.days.map((d) => [d.day, d.calls])).toEqual([
        ['2025-05-01', 1],
        ['2025-05-02', 2],
      ]);
    });

    it('calls that never connected count as calls, not connected, with their outcome as how they ended, and no talk time or rates', async () => {
      await store.progress({ callSid: 'CAbusy', outcome: 'busy', at: MAY_1 + HOUR + 5000, call: { ...placed, startedAt: MAY_1 + HOUR } });
      const noAnswer = { ...placed, startedAt: MAY_1 + 2 * HOUR };
      await store.progress({ callSid: 'CAnoanswer', outcome: 'ringing', at: MAY_1 + 2 * HOUR, call: noAnswer });
      await store.progress({ callSid: 'CAnoanswer', outcome: 'no-answer', at: MAY_1 + 2 * HOUR + 30_000, call: noAnswer });
      await store.progress({ callSid: 'CAringing', outcome: 'ringing', at: MAY_1 + 3 * HOUR, call: { ...placed, startedAt: MAY_1 + 3 * HOUR } });

      const onlyUnconnected = await store.overview(days(1));
      expect(onlyUnconnected.totals).toMatchObject({
        calls: 3,
        connected: 0,
        notConnected: 3,
        open: 1,
        durationMs: 0,
        bargeInsPerCall: null,
        bargeInShare: null,
        firstAudioMs: NO_VALUES,
      });
      expect(onlyUnconnected.endings).toEqual([
        { ending: 'busy', calls: 1 },
        { ending: 'no-answer', calls: 1 },
        { ending: 'ringing', calls: 1 },
      ]);

      await seed(store, { callSid: 'CAanswered', startedAt: MAY_1 + 4 * HOUR, lengthMs: 40_000, bargeIns: 1, firstAudioMs: 700 });
      const withOne = await store.overview(days(1));
      // The rates are per call that reached the agent: one barge-in in one connected call.
      expect(withOne.totals).toMatchObject({ calls: 4, connected: 1, notConnected: 3, durationMs: 40_000, bargeInsPerCall: 1, bargeInShare: 1 });
    });

    it('open calls count, with their cost and latencies so far, and no talk time until they end', async () => {
      await seed(store, { callSid: 'CAopen', startedAt: MAY_1 + HOUR, firstAudioMs: 640, replyLatenciesMs: [820], costUsd: 0.07, bargeIns: 1, tools: ['lookup_order'] });
      await seed(store, { callSid: 'CAdone', startedAt: MAY_1 + 2 * HOUR, lengthMs: 25_000, firstAudioMs: 720 });

      const overview = await store.overview(days(1));
      expect(overview.totals).toMatchObject({
        calls: 2,
        connected: 2,
        open: 1,
        durationMs: 25_000,
        costUsd: 0.07,
        bargeIns: 1,
        toolCalls: 1,
        firstAudioMs: { count: 2, p50: 640, p90: 720 },
        replyMs: { count: 1, p50: 820, p90: 820 },
      });
      expect(overview.endings).toEqual([
        { ending: 'caller-hung-up', calls: 1 },
        { ending: 'in-progress', calls: 1 },
      ]);

      await store.close('CAopen', { endedAt: MAY_1 + HOUR + 300 + 50_000, endReason: 'idle-timeout' });
      expect((await store.overview(days(1))).totals).toMatchObject({ open: 0, durationMs: 75_000 });
    });
  });
}
