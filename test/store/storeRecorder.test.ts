import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { storeRecorder } from '../../src/call/storeRecorder';
import { loadConfig } from '../../src/config';
import type { Logger } from '../../src/log';
import { openSqliteStore, recordingsDirFor, type CallStore } from '../../src/store';
import type { LineStart } from '../../src/telephony';

const CALL_SID = 'CA0123456789abcdef0123456789abcdef';

const start: LineStart = { callSid: CALL_SID, streamSid: 'MZ1', from: '+15550001111', to: '+15550002222', direction: 'inbound', reachedAt: Date.now() };

describe('the call record with a recording', () => {
  let dir: string;
  let store: CallStore;
  let recordingsDir: string;
  let errors: string[];
  let log: Logger;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'calls-recorder-'));
    store = openSqliteStore(path.join(dir, 'calls.db'));
    recordingsDir = recordingsDirFor(path.join(dir, 'calls.db'));
    errors = [];
    const fake = { child: () => fake, error: (message: string, fields: { what?: string }) => errors.push(`${message}: ${fields.what}`) };
    log = fake as unknown as Logger;
  });
  afterEach(async () => {
    await store.shutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  function recorder() {
    const config = loadConfig({ OPENAI_API_KEY: 'sk-test-key-0123456789', DATABASE_PATH: path.join(dir, 'calls.db'), RECORD_CALLS: 'true' });
    return storeRecorder(store, { config, recordingsDir }, log);
  }

  it('closes the call at once, and names its recording when the file is complete', async () => {
    const record = recorder();
    const call = record(start);
    call.callerAudio(new Uint8Array(160).fill(0x10), 0);
    call.agentAudio(new Uint8Array(160).fill(0x20), 20);
    call.finish('caller-hung-up');
    expect(await store.get(CALL_SID)).toMatchObject({ endReason: 'caller-hung-up' });

    await record.settled();
    expect(await store.get(CALL_SID)).toMatchObject({ endReason: 'caller-hung-up', recordingFile: `${CALL_SID}.wav` });
    expect(statSync(path.join(recordingsDir, `${CALL_SID}.wav`)).size).toBe(44 + 40 * 8 * 4);
    expect(errors).toEqual([]);
  });

  it('logs a recording that cannot be written, and closes the call without one', async () => {
    writeFileSync(recordingsDir, 'not a folder');
    const record = recorder();
    const call = record(start);
    call.callerAudio(new Uint8Array(160), 0);
    call.finish('agent-ended');
    await record.settled();
    expect(await store.get(CALL_SID)).toMatchObject({ endReason: 'agent-ended' });
    expect((await store.get(CALL_SID))?.recordingFile).toBeUndefined();
    expect(errors).toEqual(['could not write the call record: recording']);
  });

  it('makes an existing recordings folder private when it starts', () => {
    mkdirSync(recordingsDir, { mode: 0o755 });
    recorder();
    expect(statSync(recordingsDir).mode & 0o777).toBe(0o700);
    rmSync(recordingsDir, { recursive: true });
    recorder();
    expect(existsSync(recordingsDir)).toBe(false);
  });
});
