import type { CallStore } from './types';

/** An instance beats this often; one silent for `STALE_AFTER_MS` has stopped, and its open calls are nobody's. */
export const HEARTBEAT_MS = 15_000;
export const STALE_AFTER_MS = 60_000;
/** No instance is ever called this: a sweep on behalf of stopped instances closes none of this one's calls. */
const NOBODY = '';

export interface InstanceLife {
  /** Calls closed as crashed at start: this instance's own from an earlier run, and stopped instances'. */
  recovered: number;
  stop(): void;
}

/**
 * Keeps this instance's heartbeat in the shared records, and closes the calls that a crashed instance left open:
 * at start its own earlier run's and any stopped instance's, then every minute any instance that stopped since.
 * A rolling deploy never touches another instance's live calls: only silent instances' calls are closed.
 */
export async function liveAsInstance(
  store: CallStore,
  instanceId: string,
  onSweep: (closed: number, stale: string[]) => void = () => {},
  now: () => number = Date.now,
): Promise<InstanceLife> {
  await store.heartbeat(instanceId, now());
  const recovered = await store.closeAbandoned(now(), { instanceId, staleInstances: await store.staleInstances(now() - STALE_AFTER_MS) });
  const beat = setInterval(() => void store.heartbeat(instanceId, now()).catch(() => {}), HEARTBEAT_MS);
  const sweep = setInterval(() => {
    void (async () => {
      const stale = await store.staleInstances(now() - STALE_AFTER_MS);
      if (stale.length === 0) return;
      onSweep(await store.closeAbandoned(now(), { instanceId: NOBODY, staleInstances: stale }), stale);
    })().catch(() => {});
  }, STALE_AFTER_MS);
  beat.unref();
  sweep.unref();
  return {
    recovered,
    stop: () => {
      clearInterval(beat);
      clearInterval(sweep);
    },
  };
}
