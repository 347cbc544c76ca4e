import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/log';
import { AgentMetrics, ReadinessProbe, serveMetrics, type MetricsServer } from '../../src/metrics';
import { createServer, type AgentServer, type ServerDeps } from '../../src/server';
import { valueOf } from './exposition';

const ADMIN_TOKEN = 'metrics-admin-token-0123456789';
const config = loadConfig({ OPENAI_API_KEY: 'sk-test-key-0123456789', LOG_LEVEL: 'silent' });
const log = createLogger(config.log);

describe('the metrics and probe routes', () => {
  let server: AgentServer | undefined;
  let metricsServer: MetricsServer | undefined;
  afterEach(async () => {
    await server?.close();
    await metricsServer?.close();
    server = metricsServer = undefined;
  });

  async function start(deps: Partial<ServerDeps> = {}): Promise<string> {
    server = createServer({ config, log, ...deps });
    const address = await server.listen(0, '127.0.0.1');
    return `http://127.0.0.1:${address.port}`;
  }

  describe('GET /metrics on the main port', () => {
    it('answers only with the admin token', async () => {
      const url = await start({ metricsToken: ADMIN_TOKEN });
      const none = await fetch(`${url}/metrics`);
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(await none.text()).not.toContain('phone_agent_');
      expect((await fetch(`${url}/metrics`, { headers: { authorization: 'Bearer not-the-token-at-all' } })).status).toBe(401);

      const ok = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      expect(ok.status).toBe(200);
      expect(ok.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(ok.headers.get('cache-control')).toBe('no-store');
      const text = await ok.text();
      expect(valueOf(text, 'phone_agent_active_calls')).toBe(0);
      expect(text).toContain('# TYPE phone_agent_calls_ended_total counter');
      expect(text).toContain('# TYPE phone_agent_first_audio_seconds histogram');
    });

    it('locks an address out after ten wrong tokens, the right one included', async () => {
      const url = await start({ metricsToken: ADMIN_TOKEN });
      for (let i = 0; i < 10; i++) {
        expect((await fetch(`${url}/metrics`, { headers: { authorization: `Bearer wrong-${i}` } })).status).toBe(401);
      }
      const locked = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      expect(locked.status).toBe(429);
      expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    });

    it('is not served without a token (METRICS_PORT serves it instead)', async () => {
      const url = await start();
      expect((await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).status).toBe(404);
    });

    it('serves the registry the server was given', async () => {
      const metrics = new AgentMetrics({ model: config.openai.model, processMetrics: true });
      const url = await start({ metrics, metricsToken: ADMIN_TOKEN });
      expect(server!.metrics).toBe(metrics);
      const text = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text();
      expect(text).toContain('nodejs_eventloop_lag_p99_seconds');
    });
  });

  describe('GET /metrics on METRICS_PORT', () => {
    it('listens on 127.0.0.1 only and answers without a token', async () => {
      const metrics = new AgentMetrics({ model: config.openai.model });
      metricsServer = await serveMetrics(metrics, 0);
      expect(metricsServer.address.address).toBe('127.0.0.1');
      const url = `http://127.0.0.1:${metricsServer.address.port}`;
      const ok = await fetch(`${url}/metrics`);
      expect(ok.status).toBe(200);
      expect(ok.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(valueOf(await ok.text(), 'phone_agent_active_calls')).toBe(0);
      expect((await fetch(`${url}/`)).status).toBe(404);
      expect((await fetch(`${url}/metrics`, { method: 'POST' })).status).toBe(404);
    });
  });

  describe('GET /ready', () => {
    it('is 200 when the store answers, the server is not draining and the model key is set', async () => {
      const url = await start({ storeReady: async () => true });
      const res = await fetch(`${url}/ready`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({
        status: 'ready',
        checks: { acceptingCalls: 'ok', store: 'ok', modelCredentials: 'ok' },
        failed: [],
      });
    });

    it('is 503 naming the store when the store says no or fails', async () => {
      let answer: () => Promise<boolean> = async () => false;
      const url = await start({ storeReady: () => answer() });
      const no = await fetch(`${url}/ready`);
      expect(no.status).toBe(503);
      expect(await no.json()).toMatchObject({ status: 'not ready', checks: { store: 'unreachable', acceptingCalls: 'ok' }, failed: ['store'] });

      answer = () => Promise.reject(new Error('connect ECONNREFUSED 10.0.0.5:5432'));
      const failing = await fetch(`${url}/ready`);
      expect(failing.status).toBe(503);
      // The store's own error is logged, never shown to whoever probes.
      expect(await failing.text()).not.toContain('ECONNREFUSED');

      answer = async () => true;
      expect((await fetch(`${url}/ready`)).status).toBe(200);
    });

    it('leaves /health alone: 200 while the store does not answer', async () => {
      const url = await start({ storeReady: async () => false });
      const res = await fetch(`${url}/health`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'ok', activeCalls: 0 });
    });
  });
});

describe('ReadinessProbe', () => {
  it('gives up on a store that does not answer in time, and shares one query among probes that come meanwhile', async () => {
    let queries = 0;
    const probe = new ReadinessProbe({ store: () => (queries++, new Promise<boolean>(() => {})), modelKey: true, storeTimeoutMs: 50 });
    const [a, b] = await Promise.all([probe.check(false), probe.check(false)]);
    expect(queries).toBe(1);
    expect(a).toEqual({ ready: false, checks: { acceptingCalls: 'ok', store: 'no answer within 50 ms', modelCredentials: 'ok' }, failed: ['store'] });
    expect(b).toEqual(a);
    await probe.check(false);
    expect(queries).toBe(2);
  });

  it('fails while draining, and without a model key', async () => {
    expect(await new ReadinessProbe({ modelKey: true }).check(true)).toEqual({
      ready: false,
      checks: { acceptingCalls: 'draining', store: 'ok', modelCredentials: 'ok' },
      failed: ['acceptingCalls'],
    });
    expect((await new ReadinessProbe({ modelKey: false }).check(false)).failed).toEqual(['modelCredentials']);
  });

  it('logs the store going away and coming back once each, with the error', async () => {
    const warn = jest.fn();
    const info = jest.fn();
    let ok = false;
    const probe = new ReadinessProbe({
      store: async () => {
        if (!ok) throw new Error('connection refused');
        return true;
      },
      modelKey: true,
      log: { warn, info } as never,
    });
    await probe.check(false);
    await probe.check(false);
    ok = true;
    await probe.check(false);
    await probe.check(false);
    expect(warn.mock.calls).toEqual([['the store does not answer: not ready', { store: 'unreachable', error: 'connection refused' }]]);
    expect(info.mock.calls).toEqual([['the store answers again: ready']]);
  });
});
