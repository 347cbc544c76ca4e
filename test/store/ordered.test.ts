import { emptyUsage, KeyedQueue, orderWrites, type CallStore } from '../../src/store';

/** A store that records what it applies, each write taking as long as the test says (a pool of connections would). */
function slowStore(delayOf: (what: string) => number) {
  const applied: string[] = [];
  const later = (what: string) =>
    new Promise<void>((resolve, reject) =>
      setTimeout(() => (what.includes('boom') ? reject(new Error(what)) : (applied.push(what), resolve())), delayOf(what)),
    );
  const store = {
    open: (call) => later(`${call.callSid} open`),
    progress: async (report) => (await later(`${report.callSid} progress`), report.outcome),
    addTurn: (callSid, turn) => later(`${callSid} ${turn.text}`),
    addEvent: (callSid, event) => later(`${callSid} ${event.summary}`),
    updateStats: (callSid, stats) => later(`${callSid} stats ${stats.bargeIns}`),
    close: (callSid) => later(`${callSid} close`),
    get: async (callSid) => (applied.some((a) => a.startsWith(callSid)) ? ({ callSid } as never) : undefined),
    list: async () => applied.map((a) => ({ callSid: a }) as never),
    flush: async () => {},
    shutdown: async () => void applied.push('shutdown'),
  } as Partial<CallStore> as CallStore;
  return { store, applied };
}

const turn = (text: string) => ({ role: 'caller' as const, text, at: 0, interrupted: false });

describe('ordered writes', () => {
  it('applies one call’s writes in the order they were made, however long each takes', async () => {
    // Later writes are faster: unordered, they would land first.
    const { store: inner, applied } = slowStore((what) => (what.endsWith('open') ? 30 : what.includes('close') ? 1 : 15 - Number(what.split(' t')[1] ?? 0)));
    const store = orderWrites(inner);
    void store.open({ callSid: 'CA1' } as never);
    for (let i = 0; i < 10; i++) void store.addTurn('CA1', turn(`t${i}`));
    void store.close('CA1', { endedAt: 1, endReason: 'caller-hung-up' });
    await store.flush();
    expect(applied).toEqual(['CA1 open', ...Array.from({ length: 10 }, (_, i) => `CA1 t${i}`), 'CA1 close']);
  });

  it('lets calls go at their own pace: a slow call does not hold up another', async () => {
    const { store: inner, applied } = slowStore((what) => (what.startsWith('CAslow') ? 40 : 1));
    const store = orderWrites(inner);
    void store.open({ callSid: 'CAslow' } as never);
    void store.open({ callSid: 'CAfast' } as never);
    await store.addTurn('CAfast', turn('hi'));
    expect(applied).toEqual(['CAfast open', 'CAfast hi']);
    await store.flush();
    expect(applied).toContain('CAslow open');
  });

  it('goes on after a failed write, which rejects only its own promise', async () => {
    const { store: inner, applied } = slowStore(() => 5);
    const store = orderWrites(inner);
    void store.open({ callSid: 'CA1' } as never);
    const failed = store.addTurn('CA1', turn('boom'));
    const next = store.addTurn('CA1', turn('after'));
    await expect(failed).rejects.toThrow('CA1 boom');
    await next;
    expect(applied).toEqual(['CA1 open', 'CA1 after']);
  });

  it('writes the stats as they were when asked, though the caller changes its object before the write runs', async () => {
    const { store: inner, applied } = slowStore(() => 5);
    const store = orderWrites(inner);
    void store.open({ callSid: 'CA1' } as never);
    const stats = { bargeIns: 1, turnLatenciesMs: [], usage: emptyUsage(), costUsd: 0 };
    void store.updateStats('CA1', stats);
    stats.bargeIns = 2;
    void store.updateStats('CA1', stats);
    await store.flush();
    expect(applied).toEqual(['CA1 open', 'CA1 stats 1', 'CA1 stats 2']);
  });

  it('reads see the writes asked for before them; shutdown waits for every write', async () => {
    const { store: inner, applied } = slowStore(() => 10);
    const store = orderWrites(inner);
    void store.open({ callSid: 'CA1' } as never);
    expect(await store.get('CA1')).toEqual({ callSid: 'CA1' });
    void store.open({ callSid: 'CA2' } as never);
    expect(await store.list()).toHaveLength(2);
    void store.addEvent('CA2', { at: 0, type: 'note', summary: 'last' });
    await store.shutdown();
    expect(applied.slice(-2)).toEqual(['CA2 last', 'shutdown']);
  });
});

describe('KeyedQueue', () => {
  it('starts a task at once when its key is idle, and forgets keys that went idle', async () => {
    const queue = new KeyedQueue();
    let ran = false;
    const done = queue.run('a', async () => {
      ran = true;
    });
    expect(ran).toBe(true);
    expect(queue.size).toBe(1);
    await done;
    await queue.idle();
    await new Promise((resolve) => setImmediate(resolve));
    expect(queue.size).toBe(0);
  });

  it('turns a task that throws at once into a rejection', async () => {
    const queue = new KeyedQueue();
    await expect(
      queue.run('a', () => {
        throw new Error('sync');
      }),
    ).rejects.toThrow('sync');
    await expect(queue.run('a', async () => 1)).resolves.toBe(1);
  });
});
