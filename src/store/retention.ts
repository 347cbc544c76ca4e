import { readdirSync, statSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import type { CallStore } from './types';

const DAY_MS = 24 * 60 * 60 * 1000;
const HOUR_MS = 60 * 60 * 1000;

export interface RetentionResult {
  /** Calls that ended before this were deleted (undefined: retention is off). */
  cutoff: number | undefined;
  recordingsDeleted: number;
}

/**
 * Deletes calls that ended more than `retentionDays` ago, and their recordings. Recording files older than the
 * cutoff with no record left (a crash between writing the file and closing the call) go too.
 * `retentionDays` 0 keeps everything.
 */
export function applyRetention(
  store: CallStore,
  retentionDays: number,
  recordingsDir: string,
  now: number,
): RetentionResult {
  if (retentionDays <= 0) return { cutoff: undefined, recordingsDeleted: 0 };
  const cutoff = now - retentionDays * DAY_MS;
  let recordingsDeleted = 0;
  for (const file of store.deleteEndedBefore(cutoff)) {
    if (removeFile(path.join(recordingsDir, path.basename(file)))) recordingsDeleted++;
  }
  for (const file of listDir(recordingsDir)) {
    const full = path.join(recordingsDir, file);
    if (file.endsWith('.wav') && modifiedAt(full) < cutoff && removeFile(full)) recordingsDeleted++;
  }
  return { cutoff, recordingsDeleted };
}

/**
 * Applies retention now and then every `intervalMs` (an hour) until the returned function is called. The timer
 * does not keep the process alive. Failures go to `onError` and the next run tries again.
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
): () => void {
  if (retentionDays <= 0) return () => {};
  const run = () => {
    try {
      options.onResult?.(applyRetention(store, retentionDays, recordingsDir, Date.now()));
    } catch (err) {
      options.onError?.(err as Error);
    }
  };
  run();
  const timer = setInterval(run, options.intervalMs ?? HOUR_MS);
  timer.unref();
  return () => clearInterval(timer);
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

/** True when the file was deleted; a file already gone is not an error. */
function removeFile(file: string): boolean {
  try {
    unlinkSync(file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}
