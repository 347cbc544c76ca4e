import type { Config } from '../config';
import { openPostgresStore } from './postgresStore';
import { openSqliteStore } from './sqliteStore';
import type { CallStore } from './types';

export type StoreSettings = Pick<Config['store'], 'databasePath' | 'databaseUrl' | 'poolSize' | 'connectTimeoutMs'>;

/**
 * The configured call store: PostgreSQL when `DATABASE_URL` is set (any number of instances), else SQLite at
 * `DATABASE_PATH` (one process). Either is migrated before it resolves.
 */
export async function openCallStore(settings: StoreSettings, options: { onError?: (err: Error) => void } = {}): Promise<CallStore> {
  if (settings.databaseUrl) {
    return openPostgresStore(settings.databaseUrl, { poolSize: settings.poolSize, connectTimeoutMs: settings.connectTimeoutMs, onError: options.onError });
  }
  return openSqliteStore(settings.databasePath);
}

/** Where the records are, for the log: the engine and its place, never a password. */
export function describeStore(settings: Pick<StoreSettings, 'databasePath' | 'databaseUrl'>): { engine: 'postgres' | 'sqlite'; at: string } {
  if (!settings.databaseUrl) return { engine: 'sqlite', at: settings.databasePath };
  try {
    const url = new URL(settings.databaseUrl);
    return { engine: 'postgres', at: `${url.hostname}${url.port ? `:${url.port}` : ''}${url.pathname}` };
  } catch {
    return { engine: 'postgres', at: '(unreadable DATABASE_URL)' };
  }
}

/** The password in a PostgreSQL URL, so the log can keep it out. */
export function databasePassword(databaseUrl: string | undefined): string | undefined {
  if (!databaseUrl) return undefined;
  try {
    return decodeURIComponent(new URL(databaseUrl).password) || undefined;
  } catch {
    return undefined;
  }
}
