import { readdirSync, statSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import type { CallStore } from './types';

const DAY_MS = 24 * 60 * 60 * 1000;
const HOUR_MS = 60 * 60 * 1000;

export interface RetentionResult {
  /** Calls that ended before this were deleted (undefined: retention is off). */
  cutoff: number | undefined;
  recordingsDeleted: number;
  /** Recordings that could not be deleted: their calls are kept, and the next run tries again. */
  recordingsFailed: number;
}

/**
 * Deletes calls that ended more than `retentionDays` ago, and their recordings. Recording files older than the
 * cutoff with no record left (a crash between writing the file and closing the call), and partial ones a crash
 * left behind, go too. `retentionDays` 0 keeps everything.
 */
export async function applyRetention(
  store: CallStore,
  retentionDays: number,
  recordingsDir: string,
  now: number,
): Promise<RetentionResult> {
  if (retentionDays <= 0) return { cutoff: undefined, recordingsDeleted: 0, recordingsFailed: 0 };
  const cutoff = now - retentionDays * DAY_MS;
  const result = { cutoff, recordingsDeleted: 0, recordingsFailed: 0 };
  /** True when the file is gone. */
  const remove = (name: string): boolean => {
    const outcome = removeFile(path.join(recordingsDir, name));
    if (outcome === 'deleted') result.recordingsDeleted++;
    if (outcome === 'failed') result.recordingsFailed++;
    return outcome !== 'failed';
  };

  // Files before calls: a call goes only once its recording has, so a recording that cannot be deleted is
  // never left without its call, and is tried again next time.
  const tried = new Set<string>();
  const kept: string[] = [];
  for (const file of await store.recordingsEndedBefore(cutoff)) {
    const name = path.basename(file);
    tried.add(name);
    if (!remove(name)) kept.push(file);
  }
  await store.deleteEndedBefore(cutoff, kept);

  for (const name of listDir(recordingsDir)) {
    if (tried.has(name) || !/\.wav(\.partial)?$/.test(name)) continue;
    if (modifiedAt(path.join(recordingsDir, name)) < cutoff) remove(name);
  }
  return result;
}

/**
 * Applies retention now and then every `intervalMs` (an hour) until the returned function is called; that resolves
 * once a run in progress has ended, so the store can be closed after it. The timer does not keep the process alive. Failures go to `onError` and the next run tries again; a run still going when
 * the next is due is not doubled. Several instances sharing the records may each run it: deleting what another
 * has deleted already is not a failure.
 */
export function scheduleRetention(
  store: CallStore,
  retentionDays: number,
  recordingsDir: string,
  options: {
    intervalMs?: number;
    onResult?: (result: RetentionResult) => void;
    onError?: (err: Error) => void;
  } = {},
): () => Promise<void> {
  if (retentionDays <= 0) return async () => {};
  let running: Promise<void> | undefined;
  const run = () => {
    running ??= (async () => {
      try {
        options.onResult?.(await applyRetention(store, retentionDays, recordingsDir, Date.now()));
      } catch (err) {
        options.onError?.(err as Error);
      } finally {
        running = undefined;
      }
    })();
  };
  run();
  const timer = setInterval(run, options.intervalMs ?? HOUR_MS);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function modifiedAt(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return Infinity;
  }
}

/** A file already gone is not a failure; one that cannot be deleted (in use, no permission) is. */
function removeFile(file: string): 'deleted' | 'gone' | 'failed' {
  try {
    unlinkSync(file);
    return 'deleted';
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'gone' : 'failed';
  }
}
