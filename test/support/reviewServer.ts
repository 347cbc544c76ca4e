import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import express from 'express';
import { createReviewRouter } from '../../src/review';
import { openSqliteStore, recordingsDirFor, type CallStore } from '../../src/store';

export const ADMIN_TOKEN = 'review-test-admin-token-0123456789';

/** A temporary call database and the review router on an ephemeral loopback port, as main() would mount it. */
export class ReviewServer {
  private constructor(
    readonly url: string,
    readonly store: CallStore,
    readonly dir: string,
    readonly recordingsDir: string,
    private readonly server: http.Server,
  ) {}

  static async start(adminToken = ADMIN_TOKEN): Promise<ReviewServer> {
    const dir = mkdtempSync(path.join(tmpdir(), 'calls-review-'));
    const databasePath = path.join(dir, 'calls.db');
    const store = openSqliteStore(databasePath);
    const recordingsDir = recordingsDirFor(databasePath);
    const app = express();
    app.use(createReviewRouter({ store, adminToken, recordingsDir }));
    const server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return new ReviewServer(`http://127.0.0.1:${port}`, store, dir, recordingsDir, server);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await this.store.shutdown();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
