import pg from 'pg';
import { migratePostgres, openPostgresStore, POSTGRES_MIGRATIONS } from '../../src/store';
import { createTestSchema, TEST_POSTGRES_URL, type TestSchema } from '../support/postgres';
import { callStoreContract, type ContractDatabase } from './contract';
import { jobsContract } from './jobsContract';
import { overviewContract } from './overviewContract';

const OPTIONS = { poolSize: 4, connectTimeoutMs: 5000 };

/** Each test's database is a schema of its own in the test database. */
async function newDatabase(): Promise<ContractDatabase> {
  const schema = await createTestSchema('contract');
  return {
    open: () => openPostgresStore(schema.url, OPTIONS),
    schemaVersion: async () => (await schema.query<{ v: number }>('SELECT max(version) AS v FROM schema_version')).rows[0].v,
    setSchemaVersion: async (version) => void (await schema.query('INSERT INTO schema_version (version, applied_at) VALUES ($1, 0)', [version])),
    count: async (table, callSid) => {
      const where = callSid === undefined ? '' : ' WHERE call_sid = $1';
      const { rows } = await schema.query<{ n: number }>(`SELECT count(*)::integer AS n FROM ${table}${where}`, callSid === undefined ? [] : [callSid]);
      return rows[0].n;
    },
    tables: async () =>
      (
        await schema.query<{ table_name: string }>(
          'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
          [schema.name],
        )
      ).rows.map((row) => row.table_name),
    drop: () => schema.drop(),
  };
}

callStoreContract({ name: 'PostgreSQL', newDatabase });
jobsContract({ name: 'PostgreSQL', newDatabase });
overviewContract({ name: 'PostgreSQL', newDatabase });

describe('PostgreSQL call store, on its own', () => {
  let schema: TestSchema;
  beforeEach(async () => {
    schema = await createTestSchema('pgstore');
  });
  afterEach(async () => schema.drop());

  it('keeps its tables in the schema of its search path, and a row per migration step in schema_version', async () => {
    const store = await openPostgresStore(schema.url, OPTIONS);
    await store.shutdown();
    const { rows } = await schema.query<{ version: number }>('SELECT version FROM schema_version ORDER BY version');
    expect(rows.map((r) => r.version)).toEqual(POSTGRES_MIGRATIONS.map((_, i) => i + 1));
    const publicSchema = new pg.Client({ connectionString: TEST_POSTGRES_URL });
    await publicSchema.connect();
    try {
      const { rows: tables } = await publicSchema.query<{ table_schema: string }>(
        "SELECT table_schema FROM information_schema.tables WHERE table_name = 'schema_version' AND table_schema = $1 OR table_schema = 'public' AND table_name = 'calls'",
        [schema.name],
      );
      expect(tables).toEqual([{ table_schema: schema.name }]);
    } finally {
      await publicSchema.end();
    }
  });

  it('brings an older schema up to date, keeping its rows, and a failing step leaves the last good version', async () => {
    const client = new pg.Client({ connectionString: schema.url });
    await client.connect();
    try {
      expect(await migratePostgres(client, POSTGRES_MIGRATIONS.slice(0, 2))).toBe(2);
      await client.query(
        `INSERT INTO calls (call_sid, stream_sid, direction, from_number, to_number, started_at, answered_at, ended_at,
                            model, voice, persona_name, audio_mode)
         VALUES ('CAended', 'MZ1', 'inbound', '+1555', '+1666', 1, 2, 30, 'gpt-realtime', 'marin', 'Ada', 'pcm16')`,
      );
      const broken = `CREATE TABLE half_done (x integer); SELECT 1/0`;
      await expect(migratePostgres(client, [...POSTGRES_MIGRATIONS, broken])).rejects.toThrow(/division by zero/);
      const { rows } = await client.query('SELECT max(version) AS v FROM schema_version');
      expect(rows[0].v).toBe(POSTGRES_MIGRATIONS.length);
      expect((await client.query("SELECT to_regclass('half_done') AS t")).rows[0].t).toBeNull();
      expect((await client.query('SELECT call_sid, outcome, instance_id FROM calls')).rows).toEqual([{ call_sid: 'CAended', outcome: 'completed', instance_id: null }]);
      expect(await migratePostgres(client)).toBe(0);
    } finally {
      await client.end();
    }
  });

  it('fails to open, with the reason, when the server cannot be reached', async () => {
    await expect(openPostgresStore('postgres://postgres@127.0.0.1:1/test', OPTIONS)).rejects.toThrow(/ECONNREFUSED/);
  });
});
