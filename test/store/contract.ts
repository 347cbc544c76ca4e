import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { storeRecorder } from '../../src/call/storeRecorder';
import { loadConfig } from '../../src/config';
import type { Logger } from '../../src/log';
import { applyRetention, emptyUsage, MIGRATIONS, type CallStore, type NewCall } from '../../src/store';
import type { LineStart } from '../../src/telephony';

/**
 * What every call store does, whatever keeps it: run by sqlite.contract.test.ts and postgres.contract.test.ts,
 * each with a database of its engine.
 */

export type Table = 'calls' | 'turns' | 'events' | 'instances' | 'call_analyses' | 'webhook_deliveries' | 'webhook_attempts';

/** One empty database of an engine, made for one test. */
export interface ContractDatabase {
  /** A store on this database, migrating it as needed (another instance, when called again). */
  open(): Promise<CallStore>;
  /** The schema version on record. */
  schemaVersion(): Promise<number>;
  /** Marks the database as written by a program that knows `version` migrations. */
  setSchemaVersion(version: number): Promise<void>;
  /** Rows of a table, or of one call's in it. */
  count(table: Table, callSid?: string): Promise<number>;
  /** The tables the schema has. */
  tables(): Promise<string[]>;
  /** Deletes the database; stores still open on it are the test's to shut down first. */
  drop(): Promise<void>;
}

export interface ContractEngine {
  name: string;
  newDatabase(): Promise<ContractDatabase>;
}

const T0 = Date.UTC(2025, 4, 1, 14, 0, 0);
const DAY = 86_400_000;

function newCall(overrides: Partial<NewCall> = {}): NewCall {
  return {
    callSid: 'CA0001',
    streamSid: 'MZ0001',
    direction: 'inbound',
    from: '+15550001111',
    to: '+15559990000',
    startedAt: T0,
    answeredAt: T0 + 200,
    model: 'gpt-realtime',
    voice: 'marin',
    personaName: 'Ada, dental receptionist',
    audioMode: 'pcm16',
    ...overrides,
  };
}

const placed = {
  direction: 'outbound' as const,
  from: '+15559990000',
  to: '+15550001111',
  startedAt: T0,
  model: 'gpt-realtime',
  voice: 'cedar',
  personaName: 'appointment-booking',
  audioMode: 'pcm16' as const,
};

/** A logger that keeps its error lines as "message: what". */
function collectingLog(): { log: Logger; errors: string[] } {
  const errors: string[] = [];
  const fake = { child: () => fake, error: (message: string, fields: { what?: string }) => errors.push(`${message}: ${fields.what}`) };
  return { log: fake as unknown as Logger, errors };
}

export function callStoreContract(engine: ContractEngine): void {
  describe(`${engine.name} call store`, () => {
    let database: ContractDatabase;
    let store: CallStore;
    /** Stores a test opened besides `store`, shut down after it. */
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

    describe('records', () => {
      it('keeps a call as it goes: open, turns as heard, events, stats, close', async () => {
        void store.open(newCall({ instanceId: 'instance-a' }));
        expect(await store.get('CA0001')).toMatchObject({ callSid: 'CA0001', turnCount: 0, transcript: [], events: [], instanceId: 'instance-a' });
        expect((await store.get('CA0001'))?.endedAt).toBeUndefined();

        // Not awaited one by one, as a call writes: the store keeps them in order.
        void store.addTurn('CA0001', { role: 'agent', text: 'Hello, Ada Dental.', at: T0 + 1000, interrupted: false, latencyMs: 800 });
        void store.addTurn('CA0001', {
          role: 'agent',
          text: 'We have openings on Tuesday at',
          at: T0 + 5000,
          interrupted: true,
          heardMs: 2100,
          spokenMs: 6300,
          latencyMs: 640,
        });
        // The caller's transcription arrives after the agent's reply started: the transcript is ordered by time.
        void store.addTurn('CA0001', { role: 'caller', text: 'Hi, I need a cleaning.', at: T0 + 3000, interrupted: false });
        void store.addEvent('CA0001', {
          at: T0 + 7100,
          type: 'barge-in',
          summary: 'interrupted after 2100 of 6300 ms',
          detail: { itemId: 'item_1', audioEndMs: 2100 },
        });
        void store.addEvent('CA0001', { at: T0 + 8000, type: 'dtmf', summary: 'pressed 1' });
        void store.updateStats('CA0001', {
          bargeIns: 1,
          firstAudioMs: 820,
          turnLatenciesMs: [800, 640],
          usage: { ...emptyUsage(), audioIn: 1200, audioOut: 3400, textIn: 500, transcription: 90, transcriptionSeconds: 12.5 },
          costUsd: 0.2583,
        });
        await store.close('CA0001', { endedAt: T0 + 60_200, endReason: 'caller-hung-up', recordingFile: 'CA0001.wav' });

        const call = (await store.get('CA0001'))!;
        expect(call).toMatchObject({
          callSid: 'CA0001',
          streamSid: 'MZ0001',
          direction: 'inbound',
          from: '+15550001111',
          to: '+15559990000',
          startedAt: T0,
          answeredAt: T0 + 200,
          model: 'gpt-realtime',
          voice: 'marin',
          audioMode: 'pcm16',
          personaName: 'Ada, dental receptionist',
          outcome: 'completed',
          endedAt: T0 + 60_200,
          durationMs: 60_000,
          endReason: 'caller-hung-up',
          recordingFile: 'CA0001.wav',
          bargeIns: 1,
          firstAudioMs: 820,
          turnLatenciesMs: [800, 640],
          costUsd: 0.2583,
          turnCount: 3,
        });
        expect(call.usage).toEqual({ ...emptyUsage(), audioIn: 1200, audioOut: 3400, textIn: 500, transcription: 90, transcriptionSeconds: 12.5 });
        expect(call.transcript.map((t) => t.role)).toEqual(['agent', 'caller', 'agent']);
        expect(call.transcript[2]).toEqual({
          role: 'agent',
          text: 'We have openings on Tuesday at',
          at: T0 + 5000,
          interrupted: true,
          heardMs: 2100,
          spokenMs: 6300,
          latencyMs: 640,
        });
        expect(call.transcript[1]).toEqual({ role: 'caller', text: 'Hi, I need a cleaning.', at: T0 + 3000, interrupted: false });
        expect(call.events).toEqual([
          { at: T0 + 7100, type: 'barge-in', summary: 'interrupted after 2100 of 6300 ms', detail: { itemId: 'item_1', audioEndMs: 2100 } },
          { at: T0 + 8000, type: 'dtmf', summary: 'pressed 1' },
        ]);
        // Epoch milliseconds are past 2^31: they come back as numbers, not strings or truncated.
        expect(typeof call.startedAt).toBe('number');
      });

      it('keeps turns and events said at the same millisecond in the order they were written', async () => {
        void store.open(newCall());
        for (let i = 0; i < 12; i++) void store.addTurn('CA0001', { role: i % 2 ? 'caller' : 'agent', text: `turn ${i} – ¿qué? 日本`, at: T0 + 1000, interrupted: false });
        for (let i = 0; i < 5; i++) void store.addEvent('CA0001', { at: T0 + 1000, type: 'note', summary: `event ${i}` });
        const call = (await store.get('CA0001'))!;
        expect(call.transcript.map((t) => t.text)).toEqual(Array.from({ length: 12 }, (_, i) => `turn ${i} – ¿qué? 日本`));
        expect(call.events.map((e) => e.summary)).toEqual(['event 0', 'event 1', 'event 2', 'event 3', 'event 4']);
      });

      it('commits each write as it is made: another instance reads a turn before the call ends', async () => {
        await store.open(newCall());
        await store.addTurn('CA0001', { role: 'caller', text: 'Still there?', at: T0 + 900, interrupted: false });
        const reader = await another();
        expect((await reader.get('CA0001'))?.transcript.map((t) => t.text)).toEqual(['Still there?']);
      });

      it('refuses writes for a call it never opened, and a second open of the same call; the next write still runs', async () => {
        await expect(store.addTurn('CAnope', { role: 'caller', text: 'x', at: T0, interrupted: false })).rejects.toThrow('no call record CAnope');
        await expect(store.addEvent('CAnope', { at: T0, type: 'note', summary: 'x' })).rejects.toThrow('no call record CAnope');
        await expect(store.close('CAnope', { endedAt: T0, endReason: 'error' })).rejects.toThrow('no call record CAnope');
        await expect(store.updateStats('CAnope', { bargeIns: 0, turnLatenciesMs: [], usage: emptyUsage(), costUsd: 0 })).rejects.toThrow('no call record CAnope');
        await store.open(newCall());
        const second = store.open(newCall());
        const after = store.addTurn('CA0001', { role: 'caller', text: 'after the refusal', at: T0 + 1, interrupted: false });
        await expect(second).rejects.toThrow(/has a stream on record already/);
        await after;
        expect((await store.get('CA0001'))?.transcript).toHaveLength(1);
      });

      it('returns undefined for an unknown call', async () => {
        expect(await store.get('CAmissing')).toBeUndefined();
      });

      it('keeps its records across a restart', async () => {
        await store.open(newCall());
        await store.addTurn('CA0001', { role: 'caller', text: 'Remember me?', at: T0 + 1, interrupted: false });
        await store.shutdown();
        store = await database.open();
        expect((await store.get('CA0001'))?.transcript[0].text).toBe('Remember me?');
      });

      it('waits for the writes asked for before shutting down', async () => {
        void store.open(newCall());
        for (let i = 0; i < 20; i++) void store.addTurn('CA0001', { role: 'caller', text: `t${i}`, at: T0 + i, interrupted: false });
        void store.close('CA0001', { endedAt: T0 + 100, endReason: 'caller-hung-up' });
        await store.shutdown();
        store = await database.open();
        expect(await store.get('CA0001')).toMatchObject({ turnCount: 20, endReason: 'caller-hung-up' });
      });
    });

    describe('progress and outcomes', () => {
      it('keeps a call that never connected: no stream, no transcript, ended with its outcome', async () => {
        expect(await store.progress({ callSid: 'CAnoanswer', outcome: 'queued', at: T0, call: placed })).toBe('queued');
        expect(await store.progress({ callSid: 'CAnoanswer', outcome: 'ringing', at: T0 + 1000, call: placed })).toBe('ringing');
        expect(await store.get('CAnoanswer')).toMatchObject({ outcome: 'ringing', streamSid: '', direction: 'outbound', personaName: 'appointment-booking' });
        expect((await store.get('CAnoanswer'))?.endedAt).toBeUndefined();

        expect(await store.progress({ callSid: 'CAnoanswer', outcome: 'no-answer', at: T0 + 31_000, call: placed })).toBe('no-answer');
        const call = (await store.get('CAnoanswer'))!;
        expect(call).toMatchObject({ outcome: 'no-answer', endedAt: T0 + 31_000, startedAt: T0, transcript: [], turnCount: 0 });
        expect(call.endReason).toBeUndefined();
        expect(call.durationMs).toBeUndefined(); // nobody talked
      });

      it('moves only forward: a late ringing never undoes in-progress, and a final outcome stays', async () => {
        await store.progress({ callSid: 'CAorder', outcome: 'in-progress', at: T0 + 5000, call: placed });
        expect(await store.progress({ callSid: 'CAorder', outcome: 'ringing', at: T0 + 4000, call: placed })).toBe('in-progress');
        expect(await store.progress({ callSid: 'CAorder', outcome: 'busy', at: T0 + 6000, call: placed })).toBe('busy');
        expect(await store.progress({ callSid: 'CAorder', outcome: 'completed', at: T0 + 7000, call: placed })).toBe('busy');
        expect(await store.get('CAorder')).toMatchObject({ outcome: 'busy', endedAt: T0 + 6000 });
      });

      it('gives the stream the record its callbacks started, and the completed callback after the stream updates that one record', async () => {
        await store.progress({ callSid: 'CAlive', outcome: 'queued', at: T0 - 3000, call: { ...placed, startedAt: T0 - 3000, instanceId: 'placer' } });
        await store.progress({ callSid: 'CAlive', outcome: 'ringing', at: T0 - 2000, call: placed });
        await store.addEvent('CAlive', { at: T0 - 2000, type: 'note', summary: 'ringing' });
        expect((await store.get('CAlive'))?.instanceId).toBe('placer');
        await store.open(newCall({ callSid: 'CAlive', direction: 'outbound', startedAt: T0, answeredAt: T0 + 200, personaName: 'appointment-booking', instanceId: 'streamer' }));
        expect(await store.get('CAlive')).toMatchObject({
          streamSid: 'MZ0001',
          outcome: 'in-progress',
          startedAt: T0 - 3000,
          answeredAt: T0 + 200,
          instanceId: 'streamer',
        });
        await expect(store.open(newCall({ callSid: 'CAlive' }))).rejects.toThrow(/has a stream on record already/);

        await store.addTurn('CAlive', { role: 'agent', text: 'Hi, this is Ada.', at: T0 + 1000, interrupted: false });
        await store.close('CAlive', { endedAt: T0 + 20_200, endReason: 'caller-hung-up' });
        expect(await store.progress({ callSid: 'CAlive', outcome: 'completed', at: T0 + 21_000, call: placed })).toBe('completed');
        expect(await store.list({ search: 'CAlive' })).toHaveLength(1);
        expect(await store.get('CAlive')).toMatchObject({ outcome: 'completed', endedAt: T0 + 20_200, durationMs: 20_000, endReason: 'caller-hung-up', turnCount: 1 });
      });

      it('a stream record is in progress, then completed when it closes; a completed callback never ends it early', async () => {
        await store.open(newCall());
        expect((await store.get('CA0001'))?.outcome).toBe('in-progress');
        await store.progress({ callSid: 'CA0001', outcome: 'completed', at: T0 + 9000, call: placed });
        expect(await store.get('CA0001')).toMatchObject({ outcome: 'completed' });
        expect((await store.get('CA0001'))?.endedAt).toBeUndefined();
        await store.close('CA0001', { endedAt: T0 + 9500, endReason: 'caller-hung-up' });
        expect(await store.get('CA0001')).toMatchObject({ outcome: 'completed', endedAt: T0 + 9500 });
      });

      it('callbacks for a new call reaching two instances at once leave one record, moved forward', async () => {
        const other = await another();
        const outcomes = await Promise.all([
          store.progress({ callSid: 'CAboth', outcome: 'ringing', at: T0 + 1000, call: placed }),
          other.progress({ callSid: 'CAboth', outcome: 'in-progress', at: T0 + 2000, call: placed }),
          other.progress({ callSid: 'CAboth', outcome: 'queued', at: T0, call: placed }),
        ]);
        expect(outcomes.at(-1)).toBe('in-progress');
        expect(await store.list({ search: 'CAboth' })).toHaveLength(1);
        expect((await store.get('CAboth'))?.outcome).toBe('in-progress');
      });

      it('a stream and a callback for the same new call at once, on two instances: the stream has the one record', async () => {
        const other = await another();
        await Promise.all([
          store.open(newCall({ callSid: 'CArace', instanceId: 'streamer' })),
          other.progress({ callSid: 'CArace', outcome: 'ringing', at: T0 - 1000, call: { ...placed, instanceId: 'placer' } }),
        ]);
        expect(await store.get('CArace')).toMatchObject({ streamSid: 'MZ0001', outcome: 'in-progress', instanceId: 'streamer' });
        expect(await database.count('calls')).toBe(1);
      });
    });

    describe('list, filters and search', () => {
      beforeEach(async () => {
        const calls: Array<[string, string, number, 'caller-hung-up' | 'idle-timeout' | 'transferred', string]> = [
          ['CA1', '+15550001111', T0, 'caller-hung-up', 'I would like to book a cleaning'],
          ['CA2', '+15550002222', T0 + 3600_000, 'idle-timeout', 'Hello? Is anyone there?'],
          ['CA3', '+15550001111', T0 + DAY, 'transferred', 'Can I speak to the dentist, please'],
          ['CA4', 'client:ada_100%', T0 + 2 * DAY, 'caller-hung-up', 'What are your opening hours?'],
        ];
        for (const [callSid, from, startedAt, endReason, said] of calls) {
          void store.open(newCall({ callSid, from, startedAt, answeredAt: startedAt }));
          void store.addTurn(callSid, { role: 'caller', text: said, at: startedAt + 2000, interrupted: false });
          void store.close(callSid, { endedAt: startedAt + 30_000, endReason });
        }
        await store.open(newCall({ callSid: 'CA5', from: '+15550005555', startedAt: T0 + 3 * DAY, answeredAt: T0 + 3 * DAY }));
      });
      const sids = async (filter?: Parameters<CallStore['list']>[0]) => (await store.list(filter)).map((c) => c.callSid);

      it('lists newest first, with summaries', async () => {
        expect(await sids()).toEqual(['CA5', 'CA4', 'CA3', 'CA2', 'CA1']);
        const [open, ...ended] = await store.list();
        expect(open.endedAt).toBeUndefined();
        expect(ended[0]).toMatchObject({ callSid: 'CA4', durationMs: 30_000, endReason: 'caller-hung-up', turnCount: 1 });
        expect(ended[0]).not.toHaveProperty('transcript');
      });

      it('lists calls that started at the same moment newest on record first', async () => {
        await store.open(newCall({ callSid: 'CAsame1', startedAt: T0 + 4 * DAY }));
        await store.open(newCall({ callSid: 'CAsame2', startedAt: T0 + 4 * DAY }));
        expect((await sids()).slice(0, 2)).toEqual(['CAsame2', 'CAsame1']);
      });

      it('filters by number (digits of a formatted number too), reason, time range, text and limit', async () => {
        expect(await sids({ number: '0001111' })).toEqual(['CA3', 'CA1']);
        expect(await sids({ number: '(555) 000-2222' })).toEqual(['CA2']);
        expect(await sids({ number: '9990000' })).toEqual(['CA5', 'CA4', 'CA3', 'CA2', 'CA1']); // the "to" number
        expect(await sids({ endReason: 'caller-hung-up' })).toEqual(['CA4', 'CA1']);
        expect(await sids({ since: T0 + 3600_000, until: T0 + 2 * DAY })).toEqual(['CA3', 'CA2']);
        expect(await sids({ search: 'DENTIST' })).toEqual(['CA3']);
        expect(await sids({ search: 'opening Hours' })).toEqual(['CA4']);
        expect(await sids({ search: 'CA2' })).toEqual(['CA2']);
        expect(await sids({ search: 'dental receptionist' })).toHaveLength(5); // the persona
        expect(await sids({ limit: 2 })).toEqual(['CA5', 'CA4']);
        expect(await sids({ limit: 0 })).toEqual(['CA5']);
        expect(await sids({ number: '0001111', endReason: 'transferred' })).toEqual(['CA3']);
      });

      it('treats LIKE wildcards and the escape character in filters as plain text', async () => {
        expect(await sids({ search: '100%' })).toEqual(['CA4']);
        expect(await sids({ search: '%' })).toEqual(['CA4']);
        expect(await sids({ search: '_' })).toEqual(['CA4']);
        expect(await sids({ search: '\\' })).toEqual([]);
        expect(await sids({ search: "'; DROP TABLE calls; --" })).toEqual([]);
        expect(await sids()).toHaveLength(5);
      });

      it('filters by direction and outcome', async () => {
        await store.progress({ callSid: 'CAbusy', outcome: 'busy', at: T0 + 100, call: { ...placed, startedAt: T0 + 100 } });
        await store.progress({ callSid: 'CAring', outcome: 'ringing', at: T0 + 200, call: { ...placed, startedAt: T0 + 200 } });
        expect(await sids({ direction: 'outbound' })).toEqual(['CAring', 'CAbusy']);
        expect(await sids({ direction: 'inbound' })).toEqual(['CA5', 'CA4', 'CA3', 'CA2', 'CA1']);
        expect(await sids({ outcome: 'busy' })).toEqual(['CAbusy']);
        expect(await sids({ outcome: 'completed', direction: 'inbound', number: '0001111' })).toEqual(['CA3', 'CA1']);
        expect(await sids({ outcome: 'in-progress' })).toEqual(['CA5']);
        expect(await sids({ outcome: 'no-answer' })).toEqual([]);
        expect(await sids({ direction: 'web' })).toEqual([]);
      });
    });

    describe('crashes and instances', () => {
      it('closes calls a crash left open as crashed, at their last sign of life', async () => {
        void store.open(newCall({ callSid: 'CAopen' }));
        void store.addTurn('CAopen', { role: 'caller', text: 'Hello?', at: T0 + 4000, interrupted: false });
        void store.addEvent('CAopen', { at: T0 + 9000, type: 'error', summary: 'model socket closed' });
        void store.open(newCall({ callSid: 'CAquiet', startedAt: T0 + 100, answeredAt: T0 + 300 }));
        void store.open(newCall({ callSid: 'CAdone' }));
        void store.close('CAdone', { endedAt: T0 + 5000, endReason: 'caller-hung-up' });

        expect(await store.closeAbandoned(T0 + DAY)).toBe(2);
        expect(await store.get('CAopen')).toMatchObject({ endReason: 'crashed', endedAt: T0 + 9000, outcome: 'completed' });
        expect((await store.get('CAopen'))?.events.at(-1)).toMatchObject({ type: 'note', at: T0 + 9000 });
        expect(await store.get('CAquiet')).toMatchObject({ endReason: 'crashed', endedAt: T0 + 300, durationMs: 0 });
        expect(await store.get('CAdone')).toMatchObject({ endReason: 'caller-hung-up', endedAt: T0 + 5000 });
        expect(await store.closeAbandoned(T0 + DAY)).toBe(0);
      });

      it('keeps heartbeats and names the instances that stopped, and those with open calls that never beat', async () => {
        await store.heartbeat('alive', T0 + 60_000);
        await store.heartbeat('stopped', T0);
        await store.heartbeat('stopped', T0 + 10_000);
        await store.open(newCall({ callSid: 'CAghost', instanceId: 'never-beat' }));
        await store.open(newCall({ callSid: 'CAold', instanceId: 'never-beat-ended' }));
        await store.close('CAold', { endedAt: T0 + 1, endReason: 'caller-hung-up' });
        expect(await store.staleInstances(T0 + 30_000)).toEqual(['never-beat', 'stopped']);
        expect(await store.staleInstances(T0 + 5_000)).toEqual(['never-beat']);
        await store.heartbeat('stopped', T0 + 40_000);
        expect(await store.staleInstances(T0 + 30_000)).toEqual(['never-beat']);
        const other = await another();
        expect(await other.staleInstances(T0 + 50_000)).toEqual(['never-beat', 'stopped']);
      });

      it('with a scope, closes only the calls of this instance, of stale ones and of none; and forgets the stale', async () => {
        await store.heartbeat('me', T0 + 60_000);
        await store.heartbeat('busy-neighbour', T0 + 60_000);
        await store.heartbeat('dead', T0);
        void store.open(newCall({ callSid: 'CAmine', instanceId: 'me' }));
        void store.open(newCall({ callSid: 'CAneighbour', instanceId: 'busy-neighbour' }));
        void store.open(newCall({ callSid: 'CAdead', instanceId: 'dead' }));
        void store.open(newCall({ callSid: 'CAancient' })); // recorded before instances were
        void store.progress({ callSid: 'CAringing', outcome: 'ringing', at: T0, call: { ...placed, instanceId: 'busy-neighbour' } });

        const stale = await store.staleInstances(T0 + 30_000);
        expect(stale).toEqual(['dead']);
        expect(await store.closeAbandoned(T0 + DAY, { instanceId: 'me', staleInstances: stale })).toBe(3);
        for (const callSid of ['CAmine', 'CAdead', 'CAancient']) expect((await store.get(callSid))?.endReason).toBe('crashed');
        expect((await store.get('CAneighbour'))?.endedAt).toBeUndefined();
        expect((await store.get('CAringing'))?.endedAt).toBeUndefined();
        expect(await database.count('instances')).toBe(2);
        expect(await store.staleInstances(T0 + 30_000)).toEqual([]);
        expect(await store.closeAbandoned(T0 + DAY, { instanceId: 'me', staleInstances: [] })).toBe(0);
      });

      it('two instances closing the same abandoned calls at once close each one once', async () => {
        await store.open(newCall({ callSid: 'CAleft', instanceId: 'dead' }));
        await store.addTurn('CAleft', { role: 'caller', text: 'Hello?', at: T0 + 4000, interrupted: false });
        const other = await another();
        const closed = await Promise.all([
          store.closeAbandoned(T0 + DAY, { instanceId: 'a', staleInstances: ['dead'] }),
          other.closeAbandoned(T0 + DAY, { instanceId: 'b', staleInstances: ['dead'] }),
        ]);
        expect(closed[0] + closed[1]).toBe(1);
        const call = (await store.get('CAleft'))!;
        expect(call).toMatchObject({ endReason: 'crashed', endedAt: T0 + 4000 });
        expect(call.events.filter((e) => e.type === 'note')).toHaveLength(1);
      });
    });

    describe('shared state', () => {
      it('claims once across instances, until the claim expires', async () => {
        const other = await another();
        const until = Date.now() + 60_000;
        const results = await Promise.all([store.claim('stream:CA1', until), other.claim('stream:CA1', until)]);
        expect(results.sort()).toEqual([false, true]);
        expect(await store.claim('stream:CA1', until)).toBe(false);
        expect(await store.claim('stream:CA2', Date.now() - 1)).toBe(true);
        expect(await other.claim('stream:CA2', until)).toBe(true); // the first claim had expired
      });

      it('hands a value to whichever instance takes it first, once', async () => {
        const other = await another();
        await store.put('transfer:CA1', '+15557654321', Date.now() + 60_000);
        expect(await other.take('transfer:CA1')).toBe('+15557654321');
        expect(await store.take('transfer:CA1')).toBeUndefined();
        await store.put('transfer:CA2', '+15550000000', Date.now() - 1);
        expect(await other.take('transfer:CA2')).toBeUndefined();
      });

      it('lets every instance read a value, which stays until it expires', async () => {
        const other = await another();
        await store.put('plan:P1', '{"to":"+15557654321"}', Date.now() + 60_000);
        expect(await other.read('plan:P1')).toBe('{"to":"+15557654321"}');
        expect(await store.read('plan:P1')).toBe('{"to":"+15557654321"}');
        await store.put('plan:P2', 'gone', Date.now() - 1);
        expect(await other.read('plan:P2')).toBeUndefined();
        expect(await other.read('plan:P3')).toBeUndefined();
      });
    });

    describe('retention', () => {
      async function ended(callSid: string, endedAt: number, recordingFile?: string): Promise<void> {
        void store.open(newCall({ callSid, startedAt: endedAt - 60_000, answeredAt: endedAt - 60_000 }));
        void store.addTurn(callSid, { role: 'caller', text: callSid, at: endedAt - 1000, interrupted: false });
        void store.addEvent(callSid, { at: endedAt - 500, type: 'note', summary: callSid });
        await store.close(callSid, { endedAt, endReason: 'caller-hung-up', recordingFile });
      }

      it('finds the recordings of calls ended before a cutoff, and deletes those calls with their turns and events', async () => {
        await ended('CAold', T0 + 1000, 'CAold.wav');
        await ended('CAoldNoAudio', T0 + 2000);
        await ended('CAkept', T0 + 3000, 'CAkept.wav');
        await ended('CAnew', T0 + 20_000, 'CAnew.wav');
        await store.open(newCall({ callSid: 'CAlive' }));

        expect((await store.recordingsEndedBefore(T0 + 5000)).sort()).toEqual(['CAkept.wav', 'CAold.wav']);
        expect(await store.deleteEndedBefore(T0 + 5000, ['CAkept.wav'])).toEqual(['CAold.wav']);
        expect((await store.list()).map((c) => c.callSid).sort()).toEqual(['CAkept', 'CAlive', 'CAnew']);
        expect(await database.count('turns', 'CAold')).toBe(0);
        expect(await database.count('events', 'CAold')).toBe(0);
        expect(await database.count('turns', 'CAoldNoAudio')).toBe(0);
        expect(await database.count('turns', 'CAnew')).toBe(1);
        expect(await store.deleteEndedBefore(T0 + 5000)).toEqual(['CAkept.wav']);
        expect(await store.recordingsEndedBefore(T0 + 5000)).toEqual([]);
      });

      it('applies retention: old calls and their recordings go, the rest stay', async () => {
        const recordings = mkdtempSync(path.join(tmpdir(), 'contract-retention-'));
        try {
          const now = T0 + 100 * DAY;
          await ended('CAold', now - 31 * DAY, 'CAold.wav');
          await ended('CArecent', now - 29 * DAY, 'CArecent.wav');
          for (const file of ['CAold.wav', 'CArecent.wav']) writeFileSync(path.join(recordings, file), 'RIFF');
          expect(await applyRetention(store, 30, recordings, now)).toEqual({ cutoff: now - 30 * DAY, recordingsDeleted: 1, recordingsFailed: 0 });
          expect((await store.list()).map((c) => c.callSid)).toEqual(['CArecent']);
          expect(existsSync(path.join(recordings, 'CAold.wav'))).toBe(false);
          expect(existsSync(path.join(recordings, 'CArecent.wav'))).toBe(true);
        } finally {
          rmSync(recordings, { recursive: true, force: true });
        }
      });
    });

    describe('migrations', () => {
      it('is at the schema version this program knows, with its tables', async () => {
        expect(await database.schemaVersion()).toBe(MIGRATIONS.length);
        expect(await database.tables()).toEqual(expect.arrayContaining(['calls', 'events', 'instances', 'turns']));
      });

      it('opens a migrated database again without running anything twice', async () => {
        await store.open(newCall());
        const tables = await database.tables();
        const again = await another();
        expect(await database.schemaVersion()).toBe(MIGRATIONS.length);
        expect(await database.tables()).toEqual(tables);
        expect((await again.get('CA0001'))?.callSid).toBe('CA0001');
      });

      it('refuses a database written by a newer program, naming both versions', async () => {
        await database.setSchemaVersion(MIGRATIONS.length + 3);
        await expect(database.open()).rejects.toThrow(
          `the call database is at schema version ${MIGRATIONS.length + 3}, newer than this program knows (${MIGRATIONS.length})`,
        );
      });

      it('two instances opening a fresh database at once both start, on one set of tables', async () => {
        const fresh = await engine.newDatabase();
        try {
          const stores = await Promise.all([fresh.open(), fresh.open(), fresh.open()]);
          expect(await fresh.schemaVersion()).toBe(MIGRATIONS.length);
          await stores[0].open(newCall());
          expect((await stores[2].get('CA0001'))?.callSid).toBe('CA0001');
          const tables = await fresh.tables();
          expect(new Set(tables).size).toBe(tables.length);
          for (const opened of stores) await opened.shutdown();
        } finally {
          await fresh.drop();
        }
      });
    });

    describe('many calls at once', () => {
      it('interleaved writes of many calls keep each call in its own order', async () => {
        const calls = 30;
        const turns = 15;
        const sid = (c: number) => `CAmany${String(c).padStart(3, '0')}`;
        for (let c = 0; c < calls; c++) void store.open(newCall({ callSid: sid(c), streamSid: `MZ${c}`, startedAt: T0 + c }));
        for (let t = 0; t < turns; t++) {
          for (let c = 0; c < calls; c++) {
            // The same millisecond for every turn: only the order of writing orders them.
            void store.addTurn(sid(c), { role: t % 2 ? 'caller' : 'agent', text: `${sid(c)} turn ${t}`, at: T0 + 5000, interrupted: false });
            void store.updateStats(sid(c), { bargeIns: t, turnLatenciesMs: [t], usage: { ...emptyUsage(), audioOut: t }, costUsd: t / 100 });
            if (t % 5 === 0) void store.addEvent(sid(c), { at: T0 + 5000, type: 'note', summary: `${sid(c)} note ${t}` });
          }
        }
        for (let c = 0; c < calls; c++) void store.close(sid(c), { endedAt: T0 + 60_000, endReason: 'caller-hung-up' });
        await store.flush();

        const reader = await another();
        for (let c = 0; c < calls; c++) {
          const call = (await reader.get(sid(c)))!;
          expect(call.transcript.map((t) => t.text)).toEqual(Array.from({ length: turns }, (_, t) => `${sid(c)} turn ${t}`));
          expect(call.events.map((e) => e.summary)).toEqual([0, 5, 10].map((t) => `${sid(c)} note ${t}`));
          expect(call).toMatchObject({ bargeIns: turns - 1, turnLatenciesMs: [turns - 1], costUsd: (turns - 1) / 100, endReason: 'caller-hung-up' });
        }
        expect(await reader.list({ limit: 1000 })).toHaveLength(calls);
      });

      it('takes a snapshot of stats when asked: later changes to the same object are the next write', async () => {
        void store.open(newCall());
        const stats = { bargeIns: 1, turnLatenciesMs: [100], usage: emptyUsage(), costUsd: 0.01 };
        const first = store.updateStats('CA0001', stats);
        stats.bargeIns = 2;
        stats.turnLatenciesMs.push(200);
        await first;
        // A SQLite store has written it already; either way the first write holds what was asked then.
        const mid = (await store.get('CA0001'))!;
        expect([1, 2]).toContain(mid.bargeIns);
        await store.updateStats('CA0001', stats);
        expect(await store.get('CA0001')).toMatchObject({ bargeIns: 2, turnLatenciesMs: [100, 200] });
      });
    });

    describe('the call recorder', () => {
      const start: LineStart = { callSid: 'CArecorded', streamSid: 'MZrec', from: '+15550001111', to: '+15550002222', direction: 'inbound', reachedAt: T0 };
      const settings = (dir: string) => ({
        config: loadConfig({ OPENAI_API_KEY: 'sk-test-key-0123456789', DATABASE_PATH: path.join(dir, 'calls.db') }),
        recordingsDir: path.join(dir, 'recordings'),
        instanceId: 'recorder-instance',
      });

      it('writes a call as it goes without being waited for, in order', async () => {
        const dir = mkdtempSync(path.join(tmpdir(), 'contract-recorder-'));
        try {
          const { log, errors } = collectingLog();
          const record = storeRecorder(store, settings(dir), log);
          const call = record(start);
          for (let i = 0; i < 10; i++) call.turn({ role: i % 2 ? 'caller' : 'agent', text: `turn ${i}`, at: T0 + 1000, interrupted: false });
          call.firstAudio(640);
          call.bargeIn([{ itemId: 'item_1', heardMs: 1200, sentMs: 3000 }]);
          call.event({ type: 'dtmf', summary: 'pressed 1' });
          call.turnLatency(700);
          call.finish('caller-hung-up');
          await record.settled();
          const recorded = (await store.get('CArecorded'))!;
          expect(recorded).toMatchObject({ endReason: 'caller-hung-up', firstAudioMs: 640, bargeIns: 1, turnLatenciesMs: [700], instanceId: 'recorder-instance' });
          expect(recorded.transcript.map((t) => t.text)).toEqual(Array.from({ length: 10 }, (_, i) => `turn ${i}`));
          expect(recorded.events.map((e) => e.type)).toEqual(['barge-in', 'dtmf']);
          expect(errors).toEqual([]);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      });

      it('a store whose writes all reject never hurts the call: each kind of failure is logged once', async () => {
        const dir = mkdtempSync(path.join(tmpdir(), 'contract-recorder-'));
        const unhandled: unknown[] = [];
        const onUnhandled = (reason: unknown) => unhandled.push(reason);
        process.on('unhandledRejection', onUnhandled);
        try {
          const refuse = () => Promise.reject(new Error('the database is unreachable'));
          const failing: CallStore = { ...store, open: refuse, addTurn: refuse, addEvent: refuse, updateStats: refuse, close: refuse, progress: refuse };
          const { log, errors } = collectingLog();
          const record = storeRecorder(failing, settings(dir), log);
          const call = record(start);
          expect(() => {
            for (let i = 0; i < 3; i++) call.turn({ role: 'caller', text: 'hello', at: T0, interrupted: false });
            call.event({ type: 'note', summary: 'x' });
            call.event({ type: 'note', summary: 'y' });
            call.firstAudio(100);
            call.bargeIn([]);
            call.finish('caller-hung-up');
          }).not.toThrow();
          await record.settled();
          await new Promise((resolve) => setImmediate(resolve));
          expect(errors.sort()).toEqual(['open', 'turn', 'event', 'stats', 'close'].map((what) => `could not write the call record: ${what}`).sort());
          expect(unhandled).toEqual([]);
        } finally {
          process.off('unhandledRejection', onUnhandled);
          rmSync(dir, { recursive: true, force: true });
        }
      });

      it('a store that was shut down under the call never hurts it either', async () => {
        const dir = mkdtempSync(path.join(tmpdir(), 'contract-recorder-'));
        const unhandled: unknown[] = [];
        const onUnhandled = (reason: unknown) => unhandled.push(reason);
        process.on('unhandledRejection', onUnhandled);
        try {
          const closed = await another();
          await closed.shutdown();
          const { log, errors } = collectingLog();
          const record = storeRecorder(closed, settings(dir), log);
          const call = record(start);
          call.turn({ role: 'caller', text: 'hello', at: T0, interrupted: false });
          call.finish('caller-hung-up');
          await record.settled();
          await new Promise((resolve) => setImmediate(resolve));
          expect(errors).toEqual(expect.arrayContaining(['could not write the call record: open', 'could not write the call record: close']));
          expect(unhandled).toEqual([]);
          expect(await store.get('CArecorded')).toBeUndefined();
        } finally {
          process.off('unhandledRejection', onUnhandled);
          rmSync(dir, { recursive: true, force: true });
        }
      });
    });
  });
}
