import type { CallStore } from './types';

/**
 * Runs work in order per key: a task starts once every earlier task under the same key has settled, and at once
 * (in the caller's own turn of the event loop) when there is none. Keys are forgotten when they go idle.
 */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<void>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key);
    const result = previous ? previous.then(task) : start(task);
    const tail = result.then(settledOk, settledOk);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Settles once the tasks queued under `key` so far have. */
  after(key: string): Promise<void> {
    return this.tails.get(key) ?? Promise.resolve();
  }

  /** Settles once every task queued so far has. */
  async idle(): Promise<void> {
    await Promise.all(this.tails.values());
  }

  /** Keys with tasks queued or running. */
  get size(): number {
    return this.tails.size;
  }
}

/**
 * The store with its writes ordered per call: the calls' code fires writes without waiting for each, and a
 * database with a pool of connections (PostgreSQL) could otherwise apply a call's turn before its open, or an old
 * stats update after a newer one. Reads of a call wait for the writes to it asked for before them; `list` for all.
 */
export function orderWrites(store: CallStore): CallStore {
  const queue = new KeyedQueue();
  return {
    open: (call) => queue.run(call.callSid, () => store.open(call)),
    progress: (report) => queue.run(report.callSid, () => store.progress(report)),
    addTurn: (callSid, turn) => queue.run(callSid, () => store.addTurn(callSid, turn)),
    addEvent: (callSid, event) => queue.run(callSid, () => store.addEvent(callSid, event)),
    updateStats: (callSid, stats) => {
      // The numbers as they are now: the caller goes on changing its object while the write waits its turn.
      const snapshot = { ...stats, turnLatenciesMs: [...stats.turnLatenciesMs], usage: { ...stats.usage } };
      return queue.run(callSid, () => store.updateStats(callSid, snapshot));
    },
    close: (callSid, end) => queue.run(callSid, () => store.close(callSid, end)),
    closeAbandoned: async (now, scope) => {
      await queue.idle();
      return store.closeAbandoned(now, scope);
    },
    heartbeat: (instanceId, now) => store.heartbeat(instanceId, now),
    claim: (key, untilMs) => store.claim(key, untilMs),
    put: (key, value, untilMs) => store.put(key, value, untilMs),
    take: (key) => store.take(key),
    read: (key) => store.read(key),
    staleInstances: (olderThan) => store.staleInstances(olderThan),
    // After-call jobs: a call's own writes asked for before them come first.
    requestAnalysis: async (callSid, now, lease) => {
      await queue.after(callSid);
      return store.requestAnalysis(callSid, now, lease);
    },
    claimAnalysis: (now, lease) => store.claimAnalysis(now, lease),
    settleAnalysis: (claim, settlement, now) => store.settleAnalysis(claim, settlement, now),
    analysisOf: async (callSid) => {
      await queue.after(callSid);
      return store.analysisOf(callSid);
    },
    enqueueDelivery: async (delivery) => {
      await queue.after(delivery.callSid);
      return store.enqueueDelivery(delivery);
    },
    claimDelivery: (now, lease) => store.claimDelivery(now, lease),
    settleDelivery: (claim, attempt, settlement) => store.settleDelivery(claim, attempt, settlement),
    deliveriesOf: async (callSid) => {
      await queue.after(callSid);
      return store.deliveriesOf(callSid);
    },
    list: async (filter) => {
      await queue.idle();
      return store.list(filter);
    },
    overview: async (range) => {
      await queue.idle();
      return store.overview(range);
    },
    get: async (callSid) => {
      await queue.after(callSid);
      return store.get(callSid);
    },
    recordingsEndedBefore: async (cutoff) => {
      await queue.idle();
      return store.recordingsEndedBefore(cutoff);
    },
    deleteEndedBefore: async (cutoff, keep) => {
      await queue.idle();
      return store.deleteEndedBefore(cutoff, keep);
    },
    flush: () => queue.idle(),
    shutdown: async () => {
      await queue.idle();
      await store.shutdown();
    },
  };
}

/** Starts `task` now; a synchronous throw becomes a rejection like any other failure. */
function start<T>(task: () => Promise<T>): Promise<T> {
  try {
    return task();
  } catch (err) {
    return Promise.reject(err);
  }
}

function settledOk(): void {}
