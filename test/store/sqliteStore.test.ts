import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { emptyUsage, openSqliteStore, type CallStore, type NewCall } from '../../src/store';
import { MIGRATIONS } from '../../src/store/migrations';

const T0 = Date.UTC(2025, 4, 1, 14, 0, 0);

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

describe('SQLite call store', () => {
  let dir: string;
  let file: string;
  let store: CallStore;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'calls-store-'));
    file = path.join(dir, 'nested', 'calls.db');
    store = openSqliteStore(file);
  });
  afterEach(() => {
    store.shutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates its folder and a WAL database at the current schema version', () => {
    const db = new Database(file, { readonly: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    } finally {
      db.close();
    }
  });

  it('keeps a call as it goes: open, turns, events, stats, close', () => {
    store.open(newCall());
    expect(store.get('CA0001')).toMatchObject({ callSid: 'CA0001', turnCount: 0, transcript: [], events: [] });
    expect(store.get('CA0001')?.endedAt).toBeUndefined();

    store.addTurn('CA0001', { role: 'agent', text: 'Hello, Ada Dental.', at: T0 + 1000, interrupted: false, latencyMs: 800 });
    store.addTurn('CA0001', {
      role: 'agent',
      text: 'We have openings on Tuesday at',
      at: T0 + 5000,
      interrupted: true,
      heardMs: 2100,
      spokenMs: 6300,
      latencyMs: 640,
    });
    // The caller's transcription arrives after the agent's reply started: the transcript is ordered by time.
    store.addTurn('CA0001', { role: 'caller', text: 'Hi, I need a cleaning.', at: T0 + 3000, interrupted: false });
    store.addEvent('CA0001', {
      at: T0 + 7100,
      type: 'barge-in',
      summary: 'interrupted after 2100 of 6300 ms',
      detail: { itemId: 'item_1', audioEndMs: 2100 },
    });
    store.addEvent('CA0001', { at: T0 + 8000, type: 'dtmf', summary: 'pressed 1' });
    store.updateStats('CA0001', {
      bargeIns: 1,
      firstAudioMs: 820,
      turnLatenciesMs: [800, 640],
      usage: { ...emptyUsage(), audioIn: 1200, audioOut: 3400, textIn: 500, transcription: 90 },
      costUsd: 0.2583,
    });
    store.close('CA0001', { endedAt: T0 + 60_200, endReason: 'caller-hung-up', recordingFile: 'CA0001.wav' });

    const call = store.get('CA0001')!;
    expect(call).toMatchObject({
      callSid: 'CA0001',
      streamSid: 'MZ0001',
      from: '+15550001111',
      to: '+15559990000',
      personaName: 'Ada, dental receptionist',
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
    expect(call.usage).toEqual({ ...emptyUsage(), audioIn: 1200, audioOut: 3400, textIn: 500, transcription: 90 });
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
  });

  it('commits each write at once: another connection sees a turn before the call ends', () => {
    store.open(newCall());
    store.addTurn('CA0001', { role: 'caller', text: 'Still there?', at: T0 + 900, interrupted: false });
    const reader = openSqliteStore(file);
    try {
      expect(reader.get('CA0001')?.transcript.map((t) => t.text)).toEqual(['Still there?']);
    } finally {
      reader.shutdown();
    }
  });

  it('refuses writes for a call it never opened, and a second open of the same call', () => {
    expect(() => store.addTurn('CAnope', { role: 'caller', text: 'x', at: T0, interrupted: false })).toThrow();
    expect(() => store.close('CAnope', { endedAt: T0, endReason: 'error' })).toThrow(/CAnope/);
    expect(() => store.updateStats('CAnope', { bargeIns: 0, turnLatenciesMs: [], usage: emptyUsage(), costUsd: 0 })).toThrow(
      /CAnope/,
    );
    store.open(newCall());
    expect(() => store.open(newCall())).toThrow();
  });

  describe('outcomes from status callbacks', () => {
    const placed = { direction: 'outbound' as const, from: '+15559990000', to: '+15550001111', startedAt: T0, model: 'gpt-realtime', voice: 'cedar', personaName: 'appointment-booking', audioMode: 'pcm16' as const };

    it('keeps a call that never connected: no stream, no transcript, ended with its outcome', () => {
      expect(store.progress({ callSid: 'CAnoanswer', outcome: 'queued', at: T0, call: placed })).toBe('queued');
      expect(store.progress({ callSid: 'CAnoanswer', outcome: 'ringing', at: T0 + 1000, call: placed })).toBe('ringing');
      expect(store.get('CAnoanswer')).toMatchObject({ outcome: 'ringing', streamSid: '', direction: 'outbound', personaName: 'appointment-booking' });
      expect(store.get('CAnoanswer')?.endedAt).toBeUndefined();

      expect(store.progress({ callSid: 'CAnoanswer', outcome: 'no-answer', at: T0 + 31_000, call: placed })).toBe('no-answer');
      const call = store.get('CAnoanswer')!;
      expect(call).toMatchObject({ outcome: 'no-answer', endedAt: T0 + 31_000, startedAt: T0, transcript: [], turnCount: 0 });
      expect(call.endReason).toBeUndefined();
      expect(call.durationMs).toBeUndefined(); // nobody talked
    });

    it('moves only forward: a late ringing never undoes in-progress, and a final outcome stays', () => {
      store.progress({ callSid: 'CAorder', outcome: 'in-progress', at: T0 + 5000, call: placed });
      expect(store.progress({ callSid: 'CAorder', outcome: 'ringing', at: T0 + 4000, call: placed })).toBe('in-progress');
      expect(store.progress({ callSid: 'CAorder', outcome: 'busy', at: T0 + 6000, call: placed })).toBe('busy');
      expect(store.progress({ callSid: 'CAorder', outcome: 'completed', at: T0 + 7000, call: placed })).toBe('busy');
      expect(store.get('CAorder')).toMatchObject({ outcome: 'busy', endedAt: T0 + 6000 });
    });

    it('gives the stream the record its callbacks started, and the completed callback after the stream updates that one record', () => {
      store.progress({ callSid: 'CAlive', outcome: 'queued', at: T0 - 3000, call: { ...placed, startedAt: T0 - 3000 } });
      store.progress({ callSid: 'CAlive', outcome: 'ringing', at: T0 - 2000, call: placed });
      store.addEvent('CAlive', { at: T0 - 2000, type: 'note', summary: 'ringing' });
      store.open(newCall({ callSid: 'CAlive', direction: 'outbound', startedAt: T0, answeredAt: T0 + 200, personaName: 'appointment-booking' }));
      expect(store.get('CAlive')).toMatchObject({ streamSid: 'MZ0001', outcome: 'in-progress', startedAt: T0 - 3000, answeredAt: T0 + 200 });
      expect(() => store.open(newCall({ callSid: 'CAlive' }))).toThrow(/has a stream on record already/);

      store.addTurn('CAlive', { role: 'agent', text: 'Hi, this is Ada.', at: T0 + 1000, interrupted: false });
      store.close('CAlive', { endedAt: T0 + 20_200, endReason: 'caller-hung-up' });
      expect(store.progress({ callSid: 'CAlive', outcome: 'completed', at: T0 + 21_000, call: placed })).toBe('completed');
      expect(store.list({ search: 'CAlive' })).toHaveLength(1);
      expect(store.get('CAlive')).toMatchObject({ outcome: 'completed', endedAt: T0 + 20_200, durationMs: 20_000, endReason: 'caller-hung-up', turnCount: 1 });
    });

    it('a stream record is in progress, then completed when it closes; a completed callback never ends it early', () => {
      store.open(newCall());
      expect(store.get('CA0001')?.outcome).toBe('in-progress');
      store.progress({ callSid: 'CA0001', outcome: 'completed', at: T0 + 9000, call: placed });
      expect(store.get('CA0001')).toMatchObject({ outcome: 'completed' });
      expect(store.get('CA0001')?.endedAt).toBeUndefined();
      store.close('CA0001', { endedAt: T0 + 9500, endReason: 'caller-hung-up' });
      expect(store.get('CA0001')).toMatchObject({ outcome: 'completed', endedAt: T0 + 9500 });
    });

    it('filters by direction and outcome', () => {
      store.open(newCall({ callSid: 'CAin' }));
      store.close('CAin', { endedAt: T0 + 1000, endReason: 'caller-hung-up' });
      store.progress({ callSid: 'CAbusy', outcome: 'busy', at: T0 + 100, call: { ...placed, startedAt: T0 + 100 } });
      store.progress({ callSid: 'CAring', outcome: 'ringing', at: T0 + 200, call: { ...placed, startedAt: T0 + 200 } });
      const sids = (filter: Parameters<CallStore['list']>[0]) => store.list(filter).map((c) => c.callSid);
      expect(sids({ direction: 'outbound' })).toEqual(['CAring', 'CAbusy']);
      expect(sids({ direction: 'inbound' })).toEqual(['CAin']);
      expect(sids({ outcome: 'busy' })).toEqual(['CAbusy']);
      expect(sids({ outcome: 'completed', direction: 'inbound' })).toEqual(['CAin']);
      expect(sids({ outcome: 'no-answer' })).toEqual([]);
    });
  });

  it('returns undefined for an unknown call', () => {
    expect(store.get('CAmissing')).toBeUndefined();
  });

  describe('list', () => {
    beforeEach(() => {
      const calls: Array<[string, string, number, 'caller-hung-up' | 'idle-timeout' | 'transferred', string]> = [
        ['CA1', '+15550001111', T0, 'caller-hung-up', 'I would like to book a cleaning'],
        ['CA2', '+15550002222', T0 + 3600_000, 'idle-timeout', 'Hello? Is anyone there?'],
        ['CA3', '+15550001111', T0 + 86_400_000, 'transferred', 'Can I speak to the dentist, please'],
        ['CA4', 'client:ada_100%', T0 + 2 * 86_400_000, 'caller-hung-up', 'What are your opening hours?'],
      ];
      for (const [callSid, from, startedAt, endReason, said] of calls) {
        store.open(newCall({ callSid, from, startedAt, answeredAt: startedAt }));
        store.addTurn(callSid, { role: 'caller', text: said, at: startedAt + 2000, interrupted: false });
        store.close(callSid, { endedAt: startedAt + 30_000, endReason });
      }
      store.open(newCall({ callSid: 'CA5', from: '+15550005555', startedAt: T0 + 3 * 86_400_000, answeredAt: T0 + 3 * 86_400_000 }));
    });
    const sids = (filter?: Parameters<CallStore['list']>[0]) => store.list(filter).map((c) => c.callSid);

    it('lists newest first, with summaries', () => {
      expect(sids()).toEqual(['CA5', 'CA4', 'CA3', 'CA2', 'CA1']);
      const [open, ...ended] = store.list();
      expect(open.endedAt).toBeUndefined();
      expect(ended[0]).toMatchObject({ callSid: 'CA4', durationMs: 30_000, endReason: 'caller-hung-up', turnCount: 1 });
      expect(ended[0]).not.toHaveProperty('transcript');
    });

    it('filters by number (digits of a formatted number too), reason, time range, text and limit', () => {
      expect(sids({ number: '0001111' })).toEqual(['CA3', 'CA1']);
      expect(sids({ number: '(555) 000-2222' })).toEqual(['CA2']);
      expect(sids({ number: '9990000' })).toEqual(['CA5', 'CA4', 'CA3', 'CA2', 'CA1']); // the "to" number
      expect(sids({ endReason: 'caller-hung-up' })).toEqual(['CA4', 'CA1']);
      expect(sids({ since: T0 + 3600_000, until: T0 + 2 * 86_400_000 })).toEqual(['CA3', 'CA2']);
      expect(sids({ search: 'DENTIST' })).toEqual(['CA3']);
      expect(sids({ search: 'CA2' })).toEqual(['CA2']);
      expect(sids({ limit: 2 })).toEqual(['CA5', 'CA4']);
      expect(sids({ number: '0001111', endReason: 'transferred' })).toEqual(['CA3']);
    });

    it('treats LIKE wildcards in filters as plain text', () => {
      expect(sids({ search: '100%' })).toEqual(['CA4']);
      expect(sids({ search: '%' })).toEqual(['CA4']);
      expect(sids({ search: '_' })).toEqual(['CA4']);
    });
  });

  it('closes calls a crash left open as crashed, at their last sign of life', () => {
    store.open(newCall({ callSid: 'CAopen' }));
    store.addTurn('CAopen', { role: 'caller', text: 'Hello?', at: T0 + 4000, interrupted: false });
    store.addEvent('CAopen', { at: T0 + 9000, type: 'error', summary: 'model socket closed' });
    store.open(newCall({ callSid: 'CAquiet', startedAt: T0 + 100, answeredAt: T0 + 300 }));
    store.open(newCall({ callSid: 'CAdone' }));
    store.close('CAdone', { endedAt: T0 + 5000, endReason: 'caller-hung-up' });

    expect(store.closeAbandoned(T0 + 86_400_000)).toBe(2);
    expect(store.get('CAopen')).toMatchObject({ endReason: 'crashed', endedAt: T0 + 9000 });
    expect(store.get('CAopen')?.events.at(-1)).toMatchObject({ type: 'note', at: T0 + 9000 });
    expect(store.get('CAquiet')).toMatchObject({ endReason: 'crashed', endedAt: T0 + 300, durationMs: 0 });
    expect(store.get('CAdone')).toMatchObject({ endReason: 'caller-hung-up', endedAt: T0 + 5000 });
    expect(store.closeAbandoned(T0 + 86_400_000)).toBe(0);
  });

  it('deletes calls that ended before a cutoff, with their turns and events, returning recording files', () => {
    store.open(newCall({ callSid: 'CAold' }));
    store.addTurn('CAold', { role: 'caller', text: 'old', at: T0 + 1, interrupted: false });
    store.addEvent('CAold', { at: T0 + 2, type: 'note', summary: 'old' });
    store.close('CAold', { endedAt: T0 + 1000, endReason: 'caller-hung-up', recordingFile: 'CAold.wav' });
    store.open(newCall({ callSid: 'CAoldNoAudio' }));
    store.close('CAoldNoAudio', { endedAt: T0 + 2000, endReason: 'caller-hung-up' });
    store.open(newCall({ callSid: 'CAnew', startedAt: T0 + 10_000 }));
    store.close('CAnew', { endedAt: T0 + 20_000, endReason: 'caller-hung-up', recordingFile: 'CAnew.wav' });
    store.open(newCall({ callSid: 'CAlive' }));

    expect(store.deleteEndedBefore(T0 + 5000)).toEqual(['CAold.wav']);
    expect(store.list().map((c) => c.callSid).sort()).toEqual(['CAlive', 'CAnew']);
    const db = new Database(file, { readonly: true });
    try {
      expect(db.prepare("SELECT count(*) AS n FROM turns WHERE call_sid = 'CAold'").get()).toEqual({ n: 0 });
      expect(db.prepare("SELECT count(*) AS n FROM events WHERE call_sid = 'CAold'").get()).toEqual({ n: 0 });
    } finally {
      db.close();
    }
  });

  it('keeps its records across a restart', () => {
    store.open(newCall());
    store.addTurn('CA0001', { role: 'caller', text: 'Remember me?', at: T0 + 1, interrupted: false });
    store.shutdown();
    store = openSqliteStore(file);
    expect(store.get('CA0001')?.transcript[0].text).toBe('Remember me?');
  });
});
