import type { AnalysisResult, CallStore, ClaimedAnalysis, JobLease, NewCall, NewDelivery } from '../../src/store';
import type { ContractDatabase, ContractEngine } from './contract';

/**
 * What every call store does with the work after a call (analyses and webhook deliveries): run by
 * sqlite.contract.test.ts and postgres.contract.test.ts, each with a database of its engine.
 */

const T0 = Date.UTC(2025, 4, 1, 14, 0, 0);
const MINUTE = 60_000;

function newCall(callSid: string, overrides: Partial<NewCall> = {}): NewCall {
  return {
    callSid,
    streamSid: `MZ${callSid}`,
    direction: 'inbound',
    from: '+15550001111',
    to: '+15559990000',
    startedAt: T0,
    answeredAt: T0 + 200,
    model: 'gpt-realtime',
    voice: 'marin',
    personaName: 'Ada',
    audioMode: 'pcm16',
    ...overrides,
  };
}

let leases = 0;
function lease(until: number): JobLease {
  return { leaseId: `lease-${++leases}`, until };
}

function result(fields: Record<string, unknown>): AnalysisResult {
  return {
    model: 'gpt-4.1-mini',
    summary: 'The caller booked a cleaning for Tuesday.',
    fields,
    usage: { inputTokens: 900, cachedInputTokens: 100, outputTokens: 80 },
    costUsd: 0.0005,
  };
}

function delivery(id: string, callSid: string, createdAt = T0): NewDelivery {
  return { id, callSid, eventType: 'call.ended', payload: `{"type":"call.ended","data":{"callSid":"${callSid}"}}`, createdAt };
}

export function jobsContract(engine: ContractEngine): void {
  describe(`${engine.name} call store: analyses and webhook deliveries`, () => {
    let database: ContractDatabase;
    let store: CallStore;
    const others: CallStore[] = [];
    const another = async () => {
      const opened = await database.open();
      others.push(opened);
      return opened;
    };

    beforeEach(async () => {
      database = await engine.newDatabase();
      store = await database.open();
    });
    afterEach(async () => {
      for (const other of others.splice(0)) await other.shutdown();
      await store.shutdown();
      await database.drop();
    });

    async function endedCall(callSid: string): Promise<void> {
      await store.open(newCall(callSid));
      await store.close(callSid, { endedAt: T0 + MINUTE, endReason: 'caller-hung-up' });
    }

    it('has the job tables', async () => {
      expect(await database.tables()).toEqual(expect.arrayContaining(['call_analyses', 'webhook_deliveries', 'webhook_attempts']));
    });

    it('queues an analysis, claims it once, and keeps its result with the deliveries it leads to', async () => {
      await endedCall('CA1');
      await store.requestAnalysis('CA1', T0 + MINUTE);
      expect(await store.analysisOf('CA1')).toEqual({ callSid: 'CA1', status: 'pending', attempts: 0, requestedAt: T0 + MINUTE, nextAttemptAt: T0 + MINUTE });
      expect(await store.claimAnalysis(T0 + MINUTE - 1, lease(T0 + 2 * MINUTE))).toBeUndefined(); // not due yet

      const claim = (await store.claimAnalysis(T0 + MINUTE, lease(T0 + 2 * MINUTE)))!;
      expect(claim).toMatchObject({ callSid: 'CA1', attempt: 1, requestedAt: T0 + MINUTE });
      expect(await store.claimAnalysis(T0 + MINUTE, lease(T0 + 2 * MINUTE))).toBeUndefined(); // held

      const done = { status: 'done' as const, result: result({ reason: 'Cleaning', booked: true, people: 2 }), deliveries: [delivery('msg_analyzed', 'CA1')] };
      expect(await store.settleAnalysis(claim, done, T0 + MINUTE + 900)).toBe(true);
      expect(await store.analysisOf('CA1')).toEqual({
        callSid: 'CA1',
        status: 'done',
        attempts: 1,
        requestedAt: T0 + MINUTE,
        nextAttemptAt: T0 + MINUTE + 900,
        finishedAt: T0 + MINUTE + 900,
        result: result({ reason: 'Cleaning', booked: true, people: 2 }),
      });
      expect((await store.deliveriesOf('CA1')).map((d) => [d.id, d.status])).toEqual([['msg_analyzed', 'pending']]);
      expect((await store.get('CA1'))?.analysis).toEqual({ status: 'done', costUsd: 0.0005 });
      expect(await store.claimAnalysis(T0 + 10 * MINUTE, lease(T0 + 20 * MINUTE))).toBeUndefined();
    });

    it('retries at the time given, keeps the last error, and never claims a failed one again', async () => {
      await endedCall('CA1');
      await store.requestAnalysis('CA1', T0);
      const first = (await store.claimAnalysis(T0, lease(T0 + MINUTE)))!;
      expect(await store.settleAnalysis(first, { status: 'pending', nextAttemptAt: T0 + 30_000, error: '429 rate limited' }, T0 + 100)).toBe(true);
      expect(await store.analysisOf('CA1')).toMatchObject({ status: 'pending', attempts: 1, nextAttemptAt: T0 + 30_000, lastError: '429 rate limited' });
      expect(await store.claimAnalysis(T0 + 29_999, lease(T0 + MINUTE))).toBeUndefined();
      const second = (await store.claimAnalysis(T0 + 30_000, lease(T0 + MINUTE)))!;
      expect(second.attempt).toBe(2);
      expect(await store.settleAnalysis(second, { status: 'failed', error: 'the output did not match the schema' }, T0 + 31_000)).toBe(true);
      const failed = await store.analysisOf('CA1');
      expect(failed).toMatchObject({ status: 'failed', attempts: 2, lastError: 'the output did not match the schema', finishedAt: T0 + 31_000 });
      expect(failed?.result).toBeUndefined();
      expect(await store.claimAnalysis(T0 + 100 * MINUTE, lease(T0 + 200 * MINUTE))).toBeUndefined();
    });

    it('gives a job whose holder died to the next claim once the lease ran out; the old holder then writes nothing', async () => {
      await endedCall('CA1');
      await store.requestAnalysis('CA1', T0);
      const crashed = (await store.claimAnalysis(T0, lease(T0 + MINUTE)))!;
      const other = await another();
      expect(await other.claimAnalysis(T0 + MINUTE - 1, lease(T0 + 2 * MINUTE))).toBeUndefined();
      const taken = (await other.claimAnalysis(T0 + MINUTE, lease(T0 + 2 * MINUTE)))!;
      expect(taken.attempt).toBe(2);
      expect(await store.settleAnalysis(crashed, { status: 'done', result: result({ late: true }), deliveries: [delivery('msg_late', 'CA1')] }, T0 + MINUTE)).toBe(false);
      expect(await store.analysisOf('CA1')).toMatchObject({ status: 'pending', attempts: 2 });
      expect(await store.deliveriesOf('CA1')).toEqual([]);
      expect(await other.settleAnalysis(taken, { status: 'done', result: result({ late: false }), deliveries: [] }, T0 + MINUTE + 1)).toBe(true);
      expect((await store.analysisOf('CA1'))?.result?.fields).toEqual({ late: false });
    });

    it('queues an analysis again from the start, claimed at once by whoever asked; an earlier claim is lost', async () => {
      await endedCall('CA1');
      await store.requestAnalysis('CA1', T0);
      const worker = (await store.claimAnalysis(T0, lease(T0 + MINUTE)))!;
      await store.settleAnalysis(worker, { status: 'failed', error: 'timed out' }, T0 + 10);
      const held = (await store.claimAnalysis(T0 + 20, lease(T0 + MINUTE)));
      expect(held).toBeUndefined();

      const cli = (await store.requestAnalysis('CA1', T0 + 2 * MINUTE, lease(T0 + 3 * MINUTE)))!;
      expect(cli).toMatchObject({ callSid: 'CA1', attempt: 1, requestedAt: T0 + 2 * MINUTE });
      expect(await store.analysisOf('CA1')).toMatchObject({ status: 'pending', attempts: 1 });
      expect((await store.analysisOf('CA1'))?.lastError).toBeUndefined();
      expect(await store.claimAnalysis(T0 + 2 * MINUTE, lease(T0 + 3 * MINUTE))).toBeUndefined();

      const second = (await store.requestAnalysis('CA1', T0 + 4 * MINUTE, lease(T0 + 5 * MINUTE)))!;
      expect(await store.settleAnalysis(cli, { status: 'done', result: result({ who: 'first' }), deliveries: [] }, T0 + 4 * MINUTE)).toBe(false);
      expect(await store.settleAnalysis(second, { status: 'done', result: result({ who: 'second' }), deliveries: [] }, T0 + 4 * MINUTE)).toBe(true);
      expect((await store.analysisOf('CA1'))?.result?.fields).toEqual({ who: 'second' });
    });

    it('refuses to queue an analysis for a call it does not have', async () => {
      await expect(store.requestAnalysis('CAnope', T0)).rejects.toThrow('no call record CAnope');
      await expect(store.enqueueDelivery(delivery('msg_nope', 'CAnope'))).rejects.toThrow('no call record CAnope');
    });

    it('lets instances claiming at the same moment each take a different job', async () => {
      const sids = Array.from({ length: 6 }, (_, i) => `CA${i}`);
      for (const sid of sids) {
        await endedCall(sid);
        await store.requestAnalysis(sid, T0);
        await store.enqueueDelivery(delivery(`msg_${sid}`, sid));
      }
      const instances = [store, await another(), await another()];
      const claims = await Promise.all(
        Array.from({ length: 9 }, (_, i) => instances[i % 3].claimAnalysis(T0 + 1, lease(T0 + MINUTE))),
      );
      const claimed = claims.filter((c): c is ClaimedAnalysis => c !== undefined).map((c) => c.callSid);
      expect(claimed.sort()).toEqual(sids);
      const deliveries = await Promise.all(Array.from({ length: 9 }, (_, i) => instances[i % 3].claimDelivery(T0 + 1, lease(T0 + MINUTE))));
      expect(deliveries.filter((d) => d !== undefined).map((d) => d!.id).sort()).toEqual(sids.map((sid) => `msg_${sid}`));
    });

    it('delivers with the same id and body on every attempt, and keeps each attempt', async () => {
      await endedCall('CA1');
      await store.enqueueDelivery(delivery('msg_1', 'CA1', T0 + MINUTE));
      await store.enqueueDelivery({ ...delivery('msg_2', 'CA1', T0 + MINUTE + 5), eventType: 'call.analyzed' });
      const first = (await store.claimDelivery(T0 + MINUTE, lease(T0 + 2 * MINUTE)))!;
      expect(first).toMatchObject({ id: 'msg_1', callSid: 'CA1', eventType: 'call.ended', attempt: 1, createdAt: T0 + MINUTE });
      expect(first.payload).toBe(delivery('msg_1', 'CA1').payload);
      const retry = { status: 'pending' as const, nextAttemptAt: T0 + 2 * MINUTE, error: 'HTTP 503' };
      expect(await store.settleDelivery(first, { at: T0 + MINUTE, durationMs: 42, httpStatus: 503 }, retry)).toBe(true);
      expect(await store.claimDelivery(T0 + MINUTE + 10, lease(T0 + 10 * MINUTE))).toMatchObject({ id: 'msg_2' });
      const again = (await store.claimDelivery(T0 + 2 * MINUTE, lease(T0 + 3 * MINUTE)))!;
      expect(again).toMatchObject({ id: 'msg_1', attempt: 2, payload: first.payload });
      expect(await store.settleDelivery(again, { at: T0 + 2 * MINUTE, durationMs: 10_000, error: 'timed out after 10 s' }, { status: 'pending', nextAttemptAt: T0 + 4 * MINUTE, error: 'timed out after 10 s' })).toBe(true);
      const third = (await store.claimDelivery(T0 + 4 * MINUTE, lease(T0 + 5 * MINUTE)))!;
      expect(await store.settleDelivery(third, { at: T0 + 4 * MINUTE, durationMs: 7, httpStatus: 204 }, { status: 'done' })).toBe(true);

      const [delivered, analyzed] = await store.deliveriesOf('CA1');
      expect(delivered).toEqual({
        id: 'msg_1',
        callSid: 'CA1',
        eventType: 'call.ended',
        status: 'done',
        attempts: 3,
        createdAt: T0 + MINUTE,
        nextAttemptAt: T0 + 4 * MINUTE,
        finishedAt: T0 + 4 * MINUTE + 7,
        attemptLog: [
          { at: T0 + MINUTE, durationMs: 42, httpStatus: 503 },
          { at: T0 + 2 * MINUTE, durationMs: 10_000, error: 'timed out after 10 s' },
          { at: T0 + 4 * MINUTE, durationMs: 7, httpStatus: 204 },
        ],
      });
      expect(analyzed).toMatchObject({ id: 'msg_2', eventType: 'call.analyzed', status: 'pending', attempts: 1, attemptLog: [] });
      // The lost claim on msg_2 (never settled) is claimed again once its lease ran out.
      expect(await store.claimDelivery(T0 + 10 * MINUTE, lease(T0 + 11 * MINUTE))).toMatchObject({ id: 'msg_2', attempt: 2 });
      expect(await store.settleDelivery(third, { at: T0 + 5 * MINUTE, durationMs: 1 }, { status: 'done' })).toBe(false);
      expect((await store.deliveriesOf('CA1'))[0].attemptLog).toHaveLength(3);
    });

    it('gives up on a delivery when told to, and never claims it again', async () => {
      await endedCall('CA1');
      await store.enqueueDelivery(delivery('msg_1', 'CA1'));
      const claim = (await store.claimDelivery(T0, lease(T0 + MINUTE)))!;
      expect(await store.settleDelivery(claim, { at: T0, durationMs: 3, httpStatus: 500 }, { status: 'failed', error: 'HTTP 500; no more tries after a day' })).toBe(true);
      expect((await store.deliveriesOf('CA1'))[0]).toMatchObject({ status: 'failed', lastError: 'HTTP 500; no more tries after a day', finishedAt: T0 + 3 });
      expect(await store.claimDelivery(T0 + 100 * MINUTE, lease(T0 + 200 * MINUTE))).toBeUndefined();
    });

    it('lists calls by analysis status and by a field of the analysis', async () => {
      for (const sid of ['CA1', 'CA2', 'CA3', 'CA4', 'CA5']) await endedCall(sid);
      const analyse = async (sid: string, fields: Record<string, unknown>) => {
        const claim = (await store.requestAnalysis(sid, T0, lease(T0 + MINUTE)))!;
        await store.settleAnalysis(claim, { status: 'done', result: result(fields), deliveries: [] }, T0 + 1);
      };
      await analyse('CA1', { sentiment: 'Negative', booked: false, people: 2, note: 'true' });
      await analyse('CA2', { sentiment: 'positive', booked: true, people: 3, note: 'ünïcode – "quoted"' });
      await store.requestAnalysis('CA3', T0);
      const failing = (await store.requestAnalysis('CA4', T0, lease(T0 + MINUTE)))!;
      await store.settleAnalysis(failing, { status: 'failed', error: 'x' }, T0 + 1);

      const sids = async (analysis: NonNullable<Parameters<CallStore['list']>[0]>['analysis']) =>
        (await store.list({ analysis })).map((c) => c.callSid).sort();
      expect(await sids({ status: 'done' })).toEqual(['CA1', 'CA2']);
      expect(await sids({ status: 'pending' })).toEqual(['CA3']);
      expect(await sids({ status: 'failed' })).toEqual(['CA4']);
      expect(await sids({ status: 'none' })).toEqual(['CA5']);
      expect(await sids({ field: { name: 'sentiment', value: 'negative' } })).toEqual(['CA1']);
      expect(await sids({ field: { name: 'booked', value: 'true' } })).toEqual(['CA2']);
      expect(await sids({ field: { name: 'people', value: '3' } })).toEqual(['CA2']);
      expect(await sids({ field: { name: 'note', value: 'true' } })).toEqual(['CA1']); // the string "true"
      expect(await sids({ field: { name: 'note', value: 'ÜNÏCODE – "QUOTED"' } })).toEqual(['CA2']);
      expect(await sids({ field: { name: 'missing', value: 'x' } })).toEqual([]);
      expect(await sids({ status: 'done', field: { name: 'booked', value: 'false' } })).toEqual(['CA1']);
      const listed = await store.list({ analysis: { status: 'done' } });
      expect(listed.map((c) => c.analysis)).toEqual([{ status: 'done', costUsd: 0.0005 }, { status: 'done', costUsd: 0.0005 }]);
      expect((await store.list({ analysis: { status: 'none' } }))[0].analysis).toBeUndefined();
    });

    it('deletes the analysis, deliveries and attempts of a call with the call', async () => {
      await endedCall('CA1');
      const claim = (await store.requestAnalysis('CA1', T0, lease(T0 + MINUTE)))!;
      await store.settleAnalysis(claim, { status: 'done', result: result({ a: 1 }), deliveries: [delivery('msg_1', 'CA1')] }, T0);
      const sending = (await store.claimDelivery(T0, lease(T0 + MINUTE)))!;
      await store.settleDelivery(sending, { at: T0, durationMs: 5, httpStatus: 500 }, { status: 'pending', nextAttemptAt: T0 + MINUTE, error: 'HTTP 500' });
      expect(await database.count('webhook_attempts')).toBe(1);
      await store.deleteEndedBefore(T0 + 2 * MINUTE);
      expect(await database.count('call_analyses')).toBe(0);
      expect(await database.count('webhook_deliveries')).toBe(0);
      expect(await database.count('webhook_attempts')).toBe(0);
      expect(await store.analysisOf('CA1')).toBeUndefined();
    });
  });
}
