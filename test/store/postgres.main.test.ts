import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MIGRATIONS } from '../../src/store';
import { createTestSchema, type TestSchema } from '../support/postgres';

const ROOT = path.join(__dirname, '..', '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');
/** The test server trusts every local connection: the password is only there to be kept out of the log. */
const PASSWORD = 'not-a-real-password-4711';

/** The real entry point in a child process, on PostgreSQL, in an empty folder (so no .env is read). */
function startMain(env: NodeJS.ProcessEnv) {
  const cwd = mkdtempSync(path.join(tmpdir(), 'agent-main-pg-'));
  const child = spawn(TSX, [path.join(ROOT, 'src', 'main.ts')], {
    cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_FORMAT: 'json', OPENAI_API_KEY: 'sk-test-secret-key', PORT: '0', DRAIN_TIMEOUT_SECONDS: '1', ...env },
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const cleanup = () => rmSync(cwd, { recursive: true, force: true });
  return { child, exited, output: () => output, cleanup };
}

describe('the process on PostgreSQL', () => {
  let schema: TestSchema;
  beforeEach(async () => {
    schema = await createTestSchema('main');
  });
  afterEach(async () => schema.drop());

  const url = () => schema.url.replace('postgres@', `postgres:${PASSWORD}@`);

  it('starts on DATABASE_URL, says where the records are without the password, and exits 0 on SIGTERM', async () => {
    const run = startMain({ DATABASE_URL: url() });
    try {
      const deadline = Date.now() + 15_000;
      while (!/phone agent listening/.test(run.output()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const where = run.output().split('\n').find((line) => line.includes('"message":"call records"'));
      expect(JSON.parse(where!)).toMatchObject({ engine: 'postgres', at: '127.0.0.1:5432/test', recordings: 'data/recordings' });
      const { rows } = await schema.query<{ v: number }>('SELECT max(version) AS v FROM schema_version');
      expect(rows[0].v).toBe(MIGRATIONS.length);
      run.child.kill('SIGTERM');
      expect(await run.exited).toBe(0);
      expect(run.output()).not.toContain(PASSWORD);
    } finally {
      run.child.kill('SIGKILL');
      run.cleanup();
    }
  });

  it('refuses to start on a schema written by a newer version, naming both versions', async () => {
    await schema.query('CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)');
    await schema.query('INSERT INTO schema_version VALUES ($1, 0)', [MIGRATIONS.length + 1]);
    const run = startMain({ DATABASE_URL: url() });
    try {
      expect(await run.exited).toBe(1);
      expect(run.output()).toContain(`schema version ${MIGRATIONS.length + 1}, newer than this program knows (${MIGRATIONS.length})`);
      expect(run.output()).not.toContain(PASSWORD);
    } finally {
      run.cleanup();
    }
  });

  it('refuses a DATABASE_URL that is not postgres://, without repeating it', async () => {
    const run = startMain({ DATABASE_URL: `mysql://root:${PASSWORD}@db/calls` });
    try {
      expect(await run.exited).toBe(1);
      expect(run.output()).toMatch(/DATABASE_URL must be a postgres:\/\/ URL/);
      expect(run.output()).not.toContain(PASSWORD);
    } finally {
      run.cleanup();
    }
  });
});
