import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { migrate, MIGRATIONS, openSqliteStore, type Migration } from '../../src/store';

describe('schema migrations', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'calls-migrate-'));
    file = path.join(dir, 'calls.db');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const version = (db: Database.Database) => db.pragma('user_version', { simple: true });

  it('applies only the pending migrations of an existing database, keeping its data', () => {
    const db = new Database(file);
    try {
      migrate(db, MIGRATIONS.slice(0, 1));
      db.prepare(
        `INSERT INTO calls (call_sid, stream_sid, direction, from_number, to_number, started_at, answered_at,
                            model, voice, persona_name, audio_mode)
         VALUES ('CAkept', 'MZ1', 'inbound', '+1555', '+1666', 1, 2, 'gpt-realtime', 'marin', 'Ada', 'pcm16')`,
      ).run();

      const addNotes: Migration = (d) => d.exec('ALTER TABLE calls ADD COLUMN notes TEXT');
      const addTags: Migration = (d) => d.exec('CREATE TABLE tags (call_sid TEXT, tag TEXT)');
      expect(migrate(db, [...MIGRATIONS, addNotes, addTags])).toBe(MIGRATIONS.length - 1 + 2);
      expect(version(db)).toBe(MIGRATIONS.length + 2);
      expect(db.prepare('SELECT call_sid, notes FROM calls').all()).toEqual([{ call_sid: 'CAkept', notes: null }]);
      // Already there: nothing runs twice.
      expect(migrate(db, [...MIGRATIONS, addNotes, addTags])).toBe(0);
    } finally {
      db.close();
    }
  });

  it('gives the calls recorded before outcomes existed theirs: each of them had a stream', () => {
    const db = new Database(file);
    try {
      migrate(db, MIGRATIONS.slice(0, 2));
      const insert = db.prepare(
        `INSERT INTO calls (call_sid, stream_sid, direction, from_number, to_number, started_at, answered_at, ended_at,
                            model, voice, persona_name, audio_mode)
         VALUES (?, 'MZ1', 'inbound', '+1555', '+1666', 1, 2, ?, 'gpt-realtime', 'marin', 'Ada', 'pcm16')`,
      );
      insert.run('CAended', 30);
      insert.run('CAlive', null);
      migrate(db);
      expect(db.prepare('SELECT call_sid, outcome FROM calls ORDER BY call_sid').all()).toEqual([
        { call_sid: 'CAended', outcome: 'completed' },
        { call_sid: 'CAlive', outcome: 'in-progress' },
      ]);
    } finally {
      db.close();
    }
  });

  it('rolls back a failing migration and leaves the last good version', () => {
    const db = new Database(file);
    try {
      const broken: Migration = (d) => {
        d.exec('CREATE TABLE half_done (x)');
        throw new Error('boom');
      };
      expect(() => migrate(db, [...MIGRATIONS, broken])).toThrow('boom');
      expect(version(db)).toBe(MIGRATIONS.length);
      expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'half_done'").get()).toBeUndefined();
    } finally {
      db.close();
    }
  });

  it('refuses a database from a newer version of the program', () => {
    const db = new Database(file);
    db.pragma(`user_version = ${MIGRATIONS.length + 5}`);
    db.close();
    expect(() => openSqliteStore(file)).toThrow(/newer than this program knows/);
  });

  it('a second process migrating at the same time finds each step done and applies nothing twice', () => {
    const first = new Database(file);
    const second = new Database(file);
    try {
      second.pragma('busy_timeout = 5000');
      migrate(first, MIGRATIONS.slice(0, 2));
      expect(migrate(second)).toBe(MIGRATIONS.length - 2);
      expect(migrate(first)).toBe(0);
      expect(version(first)).toBe(MIGRATIONS.length);
    } finally {
      first.close();
      second.close();
    }
  });

  it('opens a database created by an earlier start, and reads what it holds', async () => {
    const first = openSqliteStore(file);
    await first.open({
      callSid: 'CA1',
      streamSid: 'MZ1',
      direction: 'outbound',
      from: '+1555',
      to: '+1666',
      startedAt: 10,
      answeredAt: 20,
      model: 'gpt-realtime',
      voice: 'cedar',
      personaName: 'Ada',
      audioMode: 'passthrough',
    });
    await first.shutdown();
    const second = openSqliteStore(file);
    try {
      expect(await second.get('CA1')).toMatchObject({ direction: 'outbound', voice: 'cedar', audioMode: 'passthrough' });
    } finally {
      await second.shutdown();
    }
  });
});
