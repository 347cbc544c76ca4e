import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * The PostgreSQL the tests use: this machine's and CI's, trust authentication, database `test`. Each test works in
 * a schema of its own (a random name, dropped afterwards), so parallel test files never see each other's tables.
 * Unreachable, the tests fail: they never skip.
 */
export const TEST_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/test';

export interface TestSchema {
  name: string;
  /** TEST_POSTGRES_URL with this schema first on the search path. */
  url: string;
  /** Runs SQL in this schema. */
  query<R extends pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<pg.QueryResult<R>>;
  drop(): Promise<void>;
}

/** A new empty schema. */
export async function createTestSchema(prefix = 'test'): Promise<TestSchema> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL, connectionTimeoutMillis: 5000 });
  try {
    await admin.connect();
  } catch (err) {
    throw new Error(
      `PostgreSQL is not reachable at ${TEST_POSTGRES_URL} (${(err as Error).message}). ` +
        'The PostgreSQL tests need it, with trust authentication and a database named test: start it (pg_isready -h 127.0.0.1 checks).',
    );
  }
  await admin.query(`CREATE SCHEMA ${name}`);
  await admin.end();
  const url = `${TEST_POSTGRES_URL}?options=${encodeURIComponent(`-c search_path=${name}`)}`;
  return {
    name,
    url,
    query: async (sql, params) => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        return await client.query(sql, params);
      } finally {
        await client.end();
      }
    },
    drop: async () => {
      const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}
