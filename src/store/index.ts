/** Call records: the repository interface, its SQLite and PostgreSQL implementations, costs, recordings and retention. */
export type * from './types';
export type * from './jobs';
export { JOB_STATUSES } from './jobs';
export { openSqliteStore, DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT } from './sqliteStore';
export { orderWrites, KeyedQueue } from './ordered';
export { openPostgresStore, type PostgresOptions } from './postgresStore';
export { migratePostgres, POSTGRES_MIGRATIONS, type PostgresMigration } from './postgresMigrations';
export { databasePassword, describeStore, openCallStore, type StoreSettings } from './open';
export { migrate, MIGRATIONS, newerSchema, type Migration } from './migrations';
export {
  addResponseUsage,
  addTranscriptionUsage,
  BUILT_IN_PRICES,
  emptyUsage,
  estimateCostUsd,
  pricesFor,
  TRANSCRIPTION_USD_PER_1M,
} from './cost';
export { CallRecording, recordingsDirFor, saveRecording, secureRecordingsDir } from './recording';
export { stereoWav } from './wav';
export { applyRetention, scheduleRetention, type RetentionResult } from './retention';
export { DIRECTIONS, END_REASONS, isEndReason, parseCallFilter, type FilterInput, type ParsedFilter } from './filter';
export { CALL_OUTCOMES, isCallOutcome, isFinalOutcome } from './outcome';
export { MemorySharedState, type SharedState } from './sharedState';
export {
  DEFAULT_OVERVIEW_DAYS,
  MAX_OVERVIEW_DAYS,
  parseOverviewRange,
  utcOffsetSteps,
  type CallCounts,
  type Overview,
  type OverviewDay,
  type OverviewEnding,
  type OverviewRange,
  type OverviewRangeInput,
  type Percentiles,
  type UtcOffsetStep,
} from './overview';
export { liveAsInstance, HEARTBEAT_MS, STALE_AFTER_MS, type InstanceLife } from './instances';
