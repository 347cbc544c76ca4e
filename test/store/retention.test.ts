import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { applyRetention, openSqliteStore, scheduleRetention, type CallStore } from '../../src/store';

const DAY = 24 * 60 * 60 * 1000;
const NOW = Date.UTC(2025, 5, 1);

describe('retention', () => {
  let dir: string;
  let recordings: string;
  let store: CallStore;

  async function endedCall(callSid: string, endedAt: number, recordingFile?: string, undeletable = false): Promise<void> {
    await store.open({
      callSid,
      streamSid: `MZ${callSid}`,
      direction: 'inbound',
      from: '+15550001111',
      to: '+15559990000',
      startedAt: endedAt - 60_000,
      answeredAt: endedAt - 60_000,
      model: 'gpt-realtime',
      voice: 'marin',
      personaName: 'Ada',
      audioMode: 'pcm16',
    });
    await store.close(callSid, { endedAt, endReason: 'caller-hung-up', recordingFile });
    // A folder by the recording's name stands in for a file that cannot be deleted (tests run as root).
    if (recordingFile && undeletable) mkdirSync(path.join(recordings, recordingFile));
    else if (recordingFile) writeFileSync(path.join(recordings, recordingFile), 'RIFF');
  }

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'calls-retention-'));
    recordings = path.join(dir, 'recordings');
    mkdirSync(recordings);
    store = openSqliteStore(path.join(dir, 'calls.db'));
  });
  afterEach(async () => {
    await store.shutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  it('deletes calls and recordings older than N days, and keeps the rest', async () => {
    await endedCall('CAold', NOW - 31 * DAY, 'CAold.wav');
    await endedCall('CAoldQuiet', NOW - 40 * DAY);
    await endedCall('CArecent', NOW - 29 * DAY, 'CArecent.wav');

    expect(await applyRetention(store, 30, recordings, NOW)).toEqual({
      cutoff: NOW - 30 * DAY,
      recordingsDeleted: 1,
      recordingsFailed: 0,
    });
    expect((await store.list()).map((c) => c.callSid)).toEqual(['CArecent']);
    expect(existsSync(path.join(recordings, 'CAold.wav'))).toBe(false);
    expect(existsSync(path.join(recordings, 'CArecent.wav'))).toBe(true);
  });

  it('also deletes old recordings whose call record is gone, but not other files', async () => {
    const orphan = path.join(recordings, 'CAorphan.wav');
    const notes = path.join(recordings, 'README.txt');
    writeFileSync(orphan, 'RIFF');
    writeFileSync(notes, 'keep me');
    const longAgo = new Date(NOW - 100 * DAY);
    utimesSync(orphan, longAgo, longAgo);
    utimesSync(notes, longAgo, longAgo);
    expect((await applyRetention(store, 30, recordings, NOW)).recordingsDeleted).toBe(1);
    expect(existsSync(orphan)).toBe(false);
    expect(existsSync(notes)).toBe(true);
  });

  it('deletes partial recordings a crash left behind, but not one a call is still writing', async () => {
    const crashed = path.join(recordings, 'CAcrashed.wav.partial');
    const live = path.join(recordings, 'CAlive.wav.partial');
    writeFileSync(crashed, 'RIFF');
    writeFileSync(live, 'RIFF');
    const longAgo = new Date(NOW - 100 * DAY);
    utimesSync(crashed, longAgo, longAgo);
    utimesSync(live, new Date(NOW), new Date(NOW));
    expect((await applyRetention(store, 30, recordings, NOW)).recordingsDeleted).toBe(1);
    expect(readdirSync(recordings)).toEqual(['CAlive.wav.partial']);
  });

  it('goes on past a recording it cannot delete, and keeps that call to try again next time', async () => {
    await endedCall('CAstuck', NOW - 40 * DAY, 'CAstuck.wav', true);
    await endedCall('CAold', NOW - 35 * DAY, 'CAold.wav');
    await endedCall('CAquiet', NOW - 35 * DAY);
    const orphan = path.join(recordings, 'CAorphan.wav');
    writeFileSync(orphan, 'RIFF');
    utimesSync(orphan, new Date(NOW - 100 * DAY), new Date(NOW - 100 * DAY));

    expect(await applyRetention(store, 30, recordings, NOW)).toEqual({
      cutoff: NOW - 30 * DAY,
      recordingsDeleted: 2,
      recordingsFailed: 1,
    });
    expect((await store.list()).map((c) => c.callSid)).toEqual(['CAstuck']);
    expect(readdirSync(recordings)).toEqual(['CAstuck.wav']);

    rmSync(path.join(recordings, 'CAstuck.wav'), { recursive: true });
    writeFileSync(path.join(recordings, 'CAstuck.wav'), 'RIFF');
    expect(await applyRetention(store, 30, recordings, NOW)).toMatchObject({ recordingsDeleted: 1, recordingsFailed: 0 });
    expect(await store.list()).toEqual([]);
    expect(readdirSync(recordings)).toEqual([]);
  });

  it('keeps everything when retention is 0, and copes with a missing recordings folder', async () => {
    await endedCall('CAancient', NOW - 3650 * DAY);
    expect(await applyRetention(store, 0, recordings, NOW)).toEqual({ cutoff: undefined, recordingsDeleted: 0, recordingsFailed: 0 });
    expect(await store.list()).toHaveLength(1);
    expect((await applyRetention(store, 1, path.join(dir, 'nowhere'), NOW)).recordingsDeleted).toBe(0);
    expect(await store.list()).toHaveLength(0);
  });

  it('runs at once when scheduled, and stops when asked', async () => {
    await endedCall('CAold', Date.now() - 10 * DAY);
    const results: unknown[] = [];
    const stop = scheduleRetention(store, 7, recordings, { onResult: (r) => results.push(r) });
    await stop(); // waits for the run in progress
    expect(results).toHaveLength(1);
    expect(await store.list()).toHaveLength(0);
    expect(scheduleRetention(store, 0, recordings)).toBeInstanceOf(Function);
  });
});
