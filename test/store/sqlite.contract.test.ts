import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { openSqliteStore } from '../../src/store';
import { callStoreContract, type ContractDatabase } from './contract';
import { jobsContract } from './jobsContract';
import { overviewContract } from './overviewContract';

/** Each test's database is a new file in a folder of its own. */
async function newDatabase(): Promise<ContractDatabase> {
  const dir = mkdtempSync(path.join(tmpdir(), 'calls-contract-'));
  const file = path.join(dir, 'nested', 'calls.db');
  const raw = <T>(read: (db: Database.Database) => T): T => {
    const db = new Database(file);
    try {
      return read(db);
    } finally {
      db.close();
    }
  };
  return {
    open: async () => openSqliteStore(file),
    schemaVersion: async () => raw((db) => db.pragma('user_version', { simple: true }) as number),
    setSchemaVersion: async (version) => raw((db) => void db.pragma(`user_version = ${version}`)),
    count: async (table, callSid) =>
      raw((db) => {
        const where = callSid === undefined ? '' : ' WHERE call_sid = ?';
        const row = db.prepare(`SELECT count(*) AS n FROM ${table}${where}`).get(...(callSid === undefined ? [] : [callSid])) as { n: number };
        return row.n;
      }),
    tables: async () =>
      raw((db) =>
        (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as Array<{ name: string }>).map(
          (row) => row.name,
        ),
      ),
    drop: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

callStoreContract({ name: 'SQLite', newDatabase });
jobsContract({ name: 'SQLite', newDatabase });
overviewContract({ name: 'SQLite', newDatabase });

describe('SQLite call store, on its own', () => {
  it('keeps a WAL database in a folder it creates', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'calls-sqlite-'));
    try {
      const file = path.join(dir, 'a', 'b', 'calls.db');
      const store = openSqliteStore(file);
      await store.shutdown();
      const db = new Database(file, { readonly: true });
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('writes when asked, before the promise is awaited', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'calls-sqlite-'));
    const file = path.join(dir, 'calls.db');
    const store = openSqliteStore(file);
    try {
      const call = { callSid: 'CA1', streamSid: 'MZ1', direction: 'inbound' as const, from: '+1', to: '+2', startedAt: 1, answeredAt: 2, model: 'm', voice: 'v', personaName: 'p', audioMode: 'pcm16' as const };
      void store.open(call);
      void store.addTurn('CA1', { role: 'caller', text: 'hi', at: 3, interrupted: false });
      const db = new Database(file, { readonly: true });
      expect(db.prepare('SELECT count(*) AS n FROM turns').get()).toEqual({ n: 1 });
      db.close();
    } finally {
      await store.shutdown();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
