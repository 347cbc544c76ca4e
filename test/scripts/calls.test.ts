import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { main, type CliIo } from '../../scripts/calls';
import { openPostgresStore, openSqliteStore, recordingsDirFor } from '../../src/store';
import { FEATURED_CALL, OTHER_CALLS, seedCalls, seedDemoCalls } from '../support/callRecords';
import { createTestSchema, type TestSchema } from '../support/postgres';

const NOW = Date.UTC(2025, 4, 20, 15, 0);
const ROOT = path.join(__dirname, '..', '..');

/** Runs the CLI in-process and collects what it prints. */
async function run(argv: string[], env: NodeJS.ProcessEnv, extra: Partial<CliIo> = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (t) => (out += t), err: (t) => (err += t), env, now: NOW, ...extra });
  return { code, out, err };
}

describe('npm run calls', () => {
  let dir: string;
  let db: string;
  let env: NodeJS.ProcessEnv;
  let featured: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'calls-cli-'));
    db = path.join(dir, 'calls.db');
    env = { DATABASE_PATH: db };
    const store = openSqliteStore(db);
    featured = await seedDemoCalls(store, { now: NOW, recordingsDir: recordingsDirFor(db) });
    await store.shutdown();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('lists calls newest first, one line each, with a total', async () => {
    const { code, out, err } = await run(['list'], env);
    expect(code).toBe(0);
    expect(err).toBe('');
    const lines = out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^STARTED\s+FROM\s+TO\s+LENGTH\s+TURNS\s+BARGE-INS\s+COST\s+ENDED\s+CALL SID$/);
    const sids = lines.slice(1, 7).map((l) => l.split(/\s+/).at(-1));
    expect(sids).toEqual([FEATURED_CALL, ...OTHER_CALLS].sort((a, b) => a.ago - b.ago).map((c) => c.callSid));
    const featuredLine = lines.find((l) => l.endsWith(featured))!;
    expect(featuredLine).toMatch(/\+14155550142\s+\+14155550100\s+1 min 04 s\s+11\s+1\s+\$0\.\d{4}\s+caller hung up/);
    expect(lines.find((l) => l.endsWith(OTHER_CALLS[0].callSid))).toMatch(/in progress/);
    expect(lines.at(-1)).toMatch(/^6 calls · 4 min 08 s talked · \$0\.\d{4} estimated$/);
    expect(out).not.toContain('\u001b['); // no colours when not a terminal
  });

  it('filters by number, reason, text, dates and limit', async () => {
    const sids = async (...args: string[]) =>
      (await run(['list', ...args], env))
        .out.split('\n')
        .filter((l) => /CA[0-9a-f]{32}$/.test(l))
        .map((l) => l.split(/\s+/).at(-1));
    expect(await sids('--number', '(415) 555-0142')).toEqual([featured, OTHER_CALLS[3].callSid]);
    expect(await sids('--reason', 'transferred')).toEqual([OTHER_CALLS[2].callSid]);
    expect(await sids('--search', 'parking')).toEqual([featured]);
    expect(await sids('--since', '1h')).toEqual([OTHER_CALLS[0].callSid, featured]);
    expect(await sids('--until', new Date(NOW - 24 * 3600_000).toISOString())).toEqual(
      [OTHER_CALLS[2], OTHER_CALLS[3], OTHER_CALLS[4]].map((c) => c.callSid),
    );
    expect(await sids('--limit', '2')).toHaveLength(2);
    expect((await run(['list', '--search', 'zebra'], env)).out).toBe('No calls match.\n');
  });

  it('prints JSON in the API shape', async () => {
    const { code, out } = await run(['list', '--json', '--limit', '1'], env);
    expect(code).toBe(0);
    const { calls } = JSON.parse(out) as { calls: Array<Record<string, unknown>> };
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ callSid: OTHER_CALLS[0].callSid, from: '+12125550188' });

    const shown = JSON.parse((await run(['show', featured, '--json'], env)).out) as { transcript: unknown[]; events: unknown[] };
    expect(shown.transcript).toHaveLength(FEATURED_CALL.turns.length);
    expect(shown.events).toHaveLength(3);
  });

  it('shows a call as a readable transcript with the interruption marked, events, latency and cost', async () => {
    const { code, out } = await run(['show', featured], env, { columns: 100 });
    expect(code).toBe(0);
    expect(out).toContain('+14155550142 → +14155550100  caller hung up');
    expect(out).toMatch(/Latency\s+first audio 820 ms · replies 610 \/ 740 \/ 580 \/ 690 \/ 520 ms \(median 610 ms\)/);
    expect(out).toMatch(/Cost\s+\$0\.\d{4} estimated/);
    expect(out).toContain(`Recording  ${path.join(dir, 'recordings', `${featured}.wav`)}`);
    expect(out).toContain("   0:05  Caller  Hi, I'd like to book a cleaning, please. Sometime next week if you can.");
    expect(out).toMatch(/0:22 {2}Agent {3}Thanks, Maria\. [^\n]*\n {17}[^\n]*Wednesday at\n {17}— interrupted at 7\.2 s of 11\.8 s\n/);
    expect(out).toMatch(/Events\n {3}0:22 {2}tool-call {2}check_availability → 3 open slots next week\n {3}0:29 {2}barge-in {3}caller cut in/);
    for (const line of out.split('\n')) expect(line.length).toBeLessThanOrEqual(125);
  });

  it('filters by direction and outcome, and shows how a call that never connected ended', async () => {
    const placedDb = path.join(dir, 'placed.db');
    const store = openSqliteStore(placedDb);
    await seedCalls(store, [{ callSid: 'CAanswered', from: '+14155550142', ago: 120_000, lengthS: 30, turns: [] }], { now: NOW });
    const placed = { direction: 'outbound' as const, from: '+14155550100', to: '+14155550177', model: 'gpt-realtime', voice: 'marin', personaName: 'reminders', audioMode: 'pcm16' as const };
    await store.progress({ callSid: 'CAnoanswer', outcome: 'ringing', at: NOW - 60_000, call: { ...placed, startedAt: NOW - 60_000 } });
    await store.progress({ callSid: 'CAnoanswer', outcome: 'no-answer', at: NOW - 30_000, call: { ...placed, startedAt: NOW - 60_000 } });
    await store.shutdown();
    const placedEnv = { DATABASE_PATH: placedDb };

    const listed = await run(['list', '--direction', 'outbound', '--outcome', 'no-answer'], placedEnv);
    expect(listed.code).toBe(0);
    const lines = listed.out.trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[1]).toMatch(/\+14155550100\s+\+14155550177\s+–\s+0\s+0\s+\$0\s+no answer\s+CAnoanswer$/);
    expect((await run(['list', '--direction', 'inbound'], placedEnv)).out).toMatch(/caller hung up\s+CAanswered\n\n1 call/);
    expect((await run(['show', 'CAnoanswer'], placedEnv)).out).toContain('CAnoanswer · outbound · no-answer · never reached the agent');
    expect((await run(['list', '--outcome', 'maybe'], placedEnv))).toMatchObject({ code: 2, err: expect.stringMatching(/^outcome: "maybe" is not one of/) });
  });

  it('accepts the start of a call SID when only one call has it', async () => {
    expect((await run(['show', featured.slice(0, 8)], env)).out).toContain(featured);
    const ambiguous = await run(['show', 'CA'], env);
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.err).toMatch(/No call CA\. Did you mean: CA/);
  });

  it('colours the output for a terminal, and keeps records from sending escape sequences', async () => {
    const store = openSqliteStore(db);
    await seedCalls(store, [{ callSid: 'CAescape', from: '+1\u001b[2J', ago: 100, lengthS: 3, turns: [{ role: 'caller', at: 1, text: 'hi\u001b]0;owned\u0007' }] }], { now: NOW });
    await store.shutdown();
    const colored = await run(['show', 'CAescape'], env, { color: true });
    expect(colored.out).toContain('\u001b[1m'); // ours
    expect(colored.out).not.toContain('\u001b[2J');
    expect(colored.out).not.toContain('\u001b]0;');
    expect(colored.out).toContain('hi ]0;owned');
  });

  it('explains bad usage with exit code 2', async () => {
    for (const argv of [[], ['frobnicate'], ['show'], ['list', '--bogus'], ['list', '--since', 'someday']]) {
      const { code, err } = await run(argv, env);
      expect(code).toBe(2);
      expect(err.length).toBeGreaterThan(10);
    }
    expect((await run(['--help'], env)).out).toContain('npm run calls -- list');
  });

  it('says so for an unknown call (exit 1), and for a missing database without creating one', async () => {
    expect((await run(['show', 'CAmissing'], env))).toMatchObject({ code: 1, err: 'No call CAmissing.\n' });
    const missing = path.join(dir, 'nowhere', 'calls.db');
    const listed = await run(['list'], { DATABASE_PATH: missing });
    expect(listed.code).toBe(0);
    expect(listed.err).toContain(`No call database at ${missing}`);
    expect((await run(['list', '--json'], { DATABASE_PATH: missing })).out).toBe('{\n  "calls": []\n}\n');
    expect(existsSync(missing)).toBe(false);
  });

  it('runs as a script from .env, without OPENAI_API_KEY', async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'calls-cli-cwd-'));
    try {
      writeFileSync(path.join(cwd, '.env'), `DATABASE_PATH=${db}\n`);
      const childEnv = { ...process.env };
      delete childEnv.OPENAI_API_KEY;
      delete childEnv.DATABASE_PATH;
      const { stdout } = await promisify(execFile)(
        path.join(ROOT, 'node_modules', '.bin', 'tsx'),
        [path.join(ROOT, 'scripts', 'calls.ts'), 'show', featured],
        { cwd, env: childEnv },
      );
      expect(stdout).toContain('— interrupted at 7.2 s of 11.8 s');
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});

describe('npm run calls on PostgreSQL', () => {
  let schema: TestSchema;
  beforeAll(async () => {
    schema = await createTestSchema('cli');
    const store = await openPostgresStore(schema.url, { poolSize: 2, connectTimeoutMs: 5000 });
    await seedDemoCalls(store, { now: NOW, recordingsDir: path.join(tmpdir(), 'unused-recordings') });
    await store.shutdown();
  });
  afterAll(async () => schema?.drop());

  it('reads DATABASE_URL, with the recordings in RECORDINGS_DIR', async () => {
    const env = { DATABASE_URL: schema.url, RECORDINGS_DIR: '/srv/shared/recordings' };
    const listed = await run(['list', '--search', 'parking'], env);
    expect(listed).toMatchObject({ code: 0, err: '' });
    expect(listed.out).toContain(FEATURED_CALL.callSid);
    const shown = await run(['show', FEATURED_CALL.callSid.slice(0, 10)], env);
    expect(shown.out).toContain('— interrupted at 7.2 s of 11.8 s');
    expect(shown.out).not.toContain('Recording'); // no such file in that folder
  });

  it('says which database it could not open, without its password (exit 1)', async () => {
    const failed = await run(['list'], { DATABASE_URL: 'postgres://agent:hunter2-secret@127.0.0.1:1/calls' });
    expect(failed.code).toBe(1);
    expect(failed.err).toMatch(/^Cannot open the call database \(postgres, 127\.0\.0\.1:1\/calls\): .*ECONNREFUSED/);
    expect(failed.err).not.toContain('hunter2');
  });
});
