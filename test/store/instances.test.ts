import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { liveAsInstance, openSqliteStore, STALE_AFTER_MS, type CallStore } from '../../src/store';

describe('liveAsInstance', () => {
  let dir: string;
  let store: CallStore;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'instances-'));
    store = openSqliteStore(path.join(dir, 'calls.db'));
  });
  afterEach(async () => {
    await store.shutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  const call = (callSid: string, instanceId: string) => ({
    callSid,
    streamSid: `MZ${callSid}`,
    direction: 'inbound' as const,
    from: '+15550001111',
    to: '+15550002222',
    startedAt: 1000,
    answeredAt: 1000,
    model: 'gpt-realtime-2.1',
    voice: 'marin',
    personaName: 'Ada',
    audioMode: 'pcm16' as const,
    instanceId,
  });

  it('at start closes its own earlier run\'s calls and stopped instances\', never a live neighbour\'s', async () => {
    let now = 100_000;
    await store.heartbeat('neighbour', now);
    await store.heartbeat('gone', now - STALE_AFTER_MS - 1);
    await store.open(call('CAmine', 'me:3000'));
    await store.open(call('CAneighbour', 'neighbour'));
    await store.open(call('CAgone', 'gone'));
    const life = await liveAsInstance(store, 'me:3000', () => {}, () => now);
    life.stop();
    expect(life.recovered).toBe(2);
    expect((await store.get('CAmine'))?.endReason).toBe('crashed');
    expect((await store.get('CAgone'))?.endReason).toBe('crashed');
    expect((await store.get('CAneighbour'))?.endedAt).toBeUndefined();
    now += 1;
    expect(await store.staleInstances(now - STALE_AFTER_MS)).toEqual([]);
  });
});
