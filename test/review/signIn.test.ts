import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import express from 'express';
import winston from 'winston';
import { createLogger } from '../../src/log';
import { SignInLimiter } from '../../src/review/auth';
import { createReviewRouter } from '../../src/review';
import { openSqliteStore, type CallStore } from '../../src/store';

const TOKEN = 'sign-in-test-admin-token-0123456789';
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** The review router on a loopback port with a clock the test moves and a log it reads. */
class SignInServer {
  readonly logLines: Array<{ level: string; message: string; [field: string]: unknown }> = [];
  clock = Date.UTC(2025, 4, 20, 15, 0);
  url = '';
  private readonly store: CallStore = openSqliteStore(':memory:');
  private readonly server: http.Server;

  constructor(adminToken = TOKEN) {
    const log = createLogger({ level: 'debug', format: 'json' });
    const lines = new Writable({ write: (chunk, _enc, done) => (this.logLines.push(JSON.parse(String(chunk))), done()) });
    log.clear().add(new winston.transports.Stream({ stream: lines }));
    const app = express();
    // Lets a test speak from several addresses through X-Forwarded-For.
    app.set('trust proxy', true);
    const recordingsDir = path.join(tmpdir(), 'no-recordings');
    app.use(createReviewRouter({ store: this.store, adminToken, recordingsDir, log, now: () => this.clock }));
    this.server = http.createServer(app);
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await this.store.shutdown();
  }

  /** The form, as a browser at `ip` would post it. */
  form(token: string, ip = '203.0.113.7'): Promise<Response> {
    return fetch(`${this.url}/calls/login`, {
      method: 'POST',
      headers: { 'x-forwarded-for': ip },
      body: new URLSearchParams({ token, next: '/calls' }),
      redirect: 'manual',
    });
  }

  link(token: string, ip = '203.0.113.7'): Promise<Response> {
    return fetch(`${this.url}/calls?token=${encodeURIComponent(token)}`, { headers: { 'x-forwarded-for': ip }, redirect: 'manual' });
  }

  api(headers: Record<string, string>, ip = '203.0.113.7'): Promise<Response> {
    return fetch(`${this.url}/api/calls`, { headers: { 'x-forwarded-for': ip, ...headers } });
  }
}

function cookieOf(res: Response): string {
  return (res.headers.get('set-cookie') ?? '').split(';')[0];
}

describe('signing in', () => {
  let server: SignInServer;

  beforeEach(async () => {
    server = await new SignInServer().start();
  });
  afterEach(async () => server.stop());

  describe('failed sign-ins', () => {
    it('locks an address out after 10 failures, by form, link or bearer token, for the rest of 10 minutes', async () => {
      const signedIn = cookieOf(await server.form(TOKEN));
      for (let i = 0; i < 4; i++) expect((await server.form('wrong')).status).toBe(401);
      for (let i = 0; i < 3; i++) expect((await server.link('wrong')).status).toBe(401);
      for (let i = 0; i < 3; i++) expect((await server.api({ authorization: 'Bearer wrong' })).status).toBe(401);

      server.clock += 4 * MINUTE;
      // The right token does not help now: otherwise guessing could simply go on.
      const form = await server.form(TOKEN);
      expect(form.status).toBe(429);
      expect(form.headers.get('retry-after')).toBe('360');
      expect(form.headers.get('set-cookie')).toBeNull();
      expect(await form.text()).toContain('Too many failed sign-ins from your address. Try again in 6 min.');
      expect((await server.link(TOKEN)).status).toBe(429);
      const api = await server.api({ authorization: `Bearer ${TOKEN}` });
      expect(api.status).toBe(429);
      expect(api.headers.get('retry-after')).toBe('360');
      expect(await api.json()).toEqual({ error: expect.stringMatching(/too many failed sign-ins/i) });

      // A browser signed in before keeps working, and other addresses are not affected.
      expect((await server.api({ cookie: signedIn })).status).toBe(200);
      expect((await server.form(TOKEN, '198.51.100.9')).status).toBe(303);

      server.clock += 6 * MINUTE;
      expect((await server.form(TOKEN)).status).toBe(303);
      expect((await server.api({ authorization: `Bearer ${TOKEN}` })).status).toBe(200);
    });

    it('does not count successful sign-ins', async () => {
      for (let i = 0; i < 9; i++) expect((await server.form('wrong')).status).toBe(401);
      for (let i = 0; i < 20; i++) expect((await server.form(TOKEN)).status).toBe(303);
      for (let i = 0; i < 20; i++) expect((await server.api({ authorization: `Bearer ${TOKEN}` })).status).toBe(200);
      expect((await server.form('wrong')).status).toBe(401);
      expect((await server.form(TOKEN)).status).toBe(429);
    });

    it('logs each sign-in with the address, never a token', async () => {
      await server.form(TOKEN);
      await server.link('not-the-token-42', '198.51.100.9');
      await server.api({ authorization: 'Bearer also-not-the-token-43' });
      for (let i = 0; i < 9; i++) await server.form('wrong');

      const log = server.logLines;
      expect(log[0]).toMatchObject({ level: 'info', message: 'signed in', ip: '203.0.113.7', via: 'form' });
      expect(log[1]).toMatchObject({ level: 'warn', message: 'sign-in failed: wrong token', ip: '198.51.100.9', via: 'link' });
      expect(log[2]).toMatchObject({ level: 'warn', message: 'sign-in failed: wrong token', ip: '203.0.113.7', via: 'bearer' });
      expect(log.at(-1)).toMatchObject({ level: 'warn', message: expect.stringMatching(/too many failed sign-ins/), ip: '203.0.113.7', retryAfterS: 600 });
      expect(JSON.stringify(log)).not.toMatch(new RegExp(`${TOKEN}|not-the-token|wrong"`));
    });
  });

  describe('the session cookie', () => {
    it('lasts 7 days from signing in, by the server\'s clock, not only the browser\'s', async () => {
      const res = await server.form(TOKEN);
      expect(res.headers.get('set-cookie')).toMatch(/Max-Age=604800/);
      const cookie = cookieOf(res);
      server.clock += 7 * DAY - 1000;
      expect((await server.api({ cookie })).status).toBe(200);
      server.clock += 2000;
      expect((await server.api({ cookie })).status).toBe(401);
    });

    it('is refused from the future beyond a minute of clock skew, with a changed time, or from an earlier token', async () => {
      const signedAt = server.clock;
      const cookie = cookieOf(await server.form(TOKEN));
      const [name, value] = cookie.split('=');
      const [issuedAt, signature] = value.split('.');

      server.clock = signedAt - 50_000;
      expect((await server.api({ cookie })).status).toBe(200);
      server.clock = signedAt - 70_000;
      expect((await server.api({ cookie })).status).toBe(401);

      server.clock = signedAt;
      expect((await server.api({ cookie: `${name}=${Number(issuedAt) + DAY / 1000}.${signature}` })).status).toBe(401);
      const unsigned = createHmac('sha256', TOKEN).update('phone-agent review session v1').digest('base64url');
      expect((await server.api({ cookie: `${name}=${unsigned}` })).status).toBe(401);

      const rotated = await new SignInServer('another-admin-token-0123456789abc').start();
      try {
        rotated.clock = signedAt;
        expect((await rotated.api({ cookie })).status).toBe(401);
      } finally {
        await rotated.stop();
      }
    });
  });
});

describe('SignInLimiter', () => {
  const limits = { maxFailures: 3, windowMs: 10 * MINUTE, maxClients: 2 };

  it('locks a client out once it reaches the limit within its window, until the window ends', () => {
    let now = 0;
    const limiter = new SignInLimiter(() => now, limits);
    expect(limiter.fail('a')).toBe(0);
    now = 9 * MINUTE;
    expect(limiter.fail('a')).toBe(0);
    expect(limiter.fail('a')).toBe(MINUTE);
    expect(limiter.retryAfterMs('a')).toBe(MINUTE);
    expect(limiter.retryAfterMs('b')).toBe(0);
    now = 10 * MINUTE;
    expect(limiter.retryAfterMs('a')).toBe(0);
    expect(limiter.fail('a')).toBe(0);
  });

  it('tracks at most maxClients addresses, dropping the oldest window first', () => {
    let now = 0;
    const limiter = new SignInLimiter(() => now, { ...limits, maxFailures: 1 });
    limiter.fail('a');
    now += 1;
    limiter.fail('b');
    expect(limiter.retryAfterMs('a')).toBeGreaterThan(0);
    limiter.fail('c');
    expect(limiter.retryAfterMs('a')).toBe(0);
    expect(limiter.retryAfterMs('b')).toBeGreaterThan(0);
    expect(limiter.retryAfterMs('c')).toBeGreaterThan(0);
  });
});
