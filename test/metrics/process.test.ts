import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { valueOf } from './exposition';

const ROOT = path.join(__dirname, '..', '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');
const ADMIN_TOKEN = 'process-admin-token-0123456789';

/** The real entry point in a child process, in an empty folder (no .env), until `listening` says its port. */
async function startMain(env: NodeJS.ProcessEnv) {
  const cwd = mkdtempSync(path.join(tmpdir(), 'agent-metrics-'));
  const child = spawn(TSX, [path.join(ROOT, 'src', 'main.ts')], {
    cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_FORMAT: 'json', OPENAI_API_KEY: 'sk-test-key-0123456789', PORT: '0', ADMIN_TOKEN, DRAIN_TIMEOUT_SECONDS: '1', ...env },
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + 15_000;
  let port: number | undefined;
  while (port === undefined && Date.now() < deadline) {
    port = Number(/"message":"phone agent listening".*?"port":(\d+)/.exec(output)?.[1]) || undefined;
    if (port === undefined) await new Promise((r) => setTimeout(r, 50));
  }
  if (port === undefined) throw new Error(`the server did not start:\n${output}`);
  const stop = async () => {
    child.kill('SIGTERM');
    const code = await exited;
    rmSync(cwd, { recursive: true, force: true });
    return code;
  };
  return { url: `http://127.0.0.1:${port}`, output: () => output, stop };
}

/** A port nobody listens on right now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('the process serves metrics and readiness', () => {
  it('on PORT: /ready asks the store, /metrics wants the admin token and has the process metrics', async () => {
    const main = await startMain({});
    try {
      const ready = await fetch(`${main.url}/ready`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ status: 'ready', checks: { store: 'ok' } });
      expect((await fetch(`${main.url}/metrics`)).status).toBe(401);
      const metrics = await fetch(`${main.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      expect(metrics.status).toBe(200);
      const text = await metrics.text();
      expect(valueOf(text, 'phone_agent_active_calls')).toBe(0);
      expect(valueOf(text, 'nodejs_eventloop_lag_p99_seconds')).toBeGreaterThanOrEqual(0);
      expect(valueOf(text, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    } finally {
      expect(await main.stop()).toBe(0);
    }
  });

  it('with METRICS_PORT: /metrics there on 127.0.0.1 without a token, and not on PORT', async () => {
    const metricsPort = await freePort();
    const main = await startMain({ METRICS_PORT: String(metricsPort) });
    try {
      const metrics = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
      expect(metrics.status).toBe(200);
      expect(valueOf(await metrics.text(), 'phone_agent_active_calls')).toBe(0);
      expect((await fetch(`${main.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).status).toBe(404);
      expect(main.output()).toContain(`"url":"http://127.0.0.1:${metricsPort}/metrics"`);
    } finally {
      expect(await main.stop()).toBe(0);
    }
  });
});
