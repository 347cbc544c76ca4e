import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { Logger } from '../log';
import { clientAddress, credentialOf, SignInLimiter } from '../review/auth';
import type { AgentMetrics } from './metrics';

/**
 * GET /metrics behind the admin token, proven as the review API takes it: `Authorization: Bearer <token>` (what
 * Prometheus sends) or a signed-in browser's session cookie. Wrong tokens count against the client's address as
 * failed sign-ins do, so this route is no way around the review API's lockout.
 */
export function metricsRoute(metrics: AgentMetrics, adminToken: string, log?: Logger, now: () => number = Date.now): express.Router {
  const router = express.Router();
  const limiter = new SignInLimiter(now);
  router.get('/metrics', async (req, res) => {
    res.set('Cache-Control', 'no-store');
    const client = clientAddress(req);
    const credential = credentialOf(req, adminToken, now());
    const retryAfterMs = limiter.retryAfterMs(client);
    if (retryAfterMs > 0 && credential !== 'session') {
      res.set('Retry-After', String(Math.ceil(retryAfterMs / 1000)));
      res.status(429).json({ error: 'too many wrong tokens from your address' });
      return;
    }
    if (credential === 'wrong-token') {
      log?.warn('metrics: wrong token', { ip: client });
      limiter.fail(client);
    }
    if (credential !== 'bearer' && credential !== 'session') {
      res.set('WWW-Authenticate', 'Bearer realm="metrics"');
      res.status(401).json({ error: 'unauthorized: send Authorization: Bearer <ADMIN_TOKEN>' });
      return;
    }
    await sendMetrics(metrics, res);
  });
  return router;
}

export interface MetricsServer {
  readonly address: AddressInfo;
  close(): Promise<void>;
}

/**
 * GET /metrics without a token on a port of its own, bound to this machine only by default: whoever can
 * reach the address can read it, so only a scraper beside the process (same host or pod) should.
 */
export function serveMetrics(metrics: AgentMetrics, port: number, host = '127.0.0.1'): Promise<MetricsServer> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not Found');
      return;
    }
    metrics.registry.metrics().then(
      (text) => res.writeHead(200, { 'Content-Type': metrics.registry.contentType, 'Cache-Control': 'no-store' }).end(text),
      () => res.writeHead(500, { 'Content-Type': 'text/plain' }).end('Internal Server Error'),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () =>
      resolve({
        address: server.address() as AddressInfo,
        close: () => new Promise<void>((done) => server.close(() => done())),
      }),
    );
  });
}

async function sendMetrics(metrics: AgentMetrics, res: express.Response): Promise<void> {
  const text = await metrics.registry.metrics();
  res.type(metrics.registry.contentType).send(text);
}
