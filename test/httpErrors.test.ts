import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import express from 'express';
import winston from 'winston';
import { errorHandler } from '../src/httpErrors';
import { createLogger } from '../src/log';
import { ReviewServer } from './support/reviewServer';

describe('errorHandler', () => {
  let server: http.Server;
  let url: string;
  const logged: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    const log = createLogger({ level: 'debug', format: 'json' });
    log.clear().add(new winston.transports.Stream({ stream: new Writable({ write: (chunk, _enc, done) => (logged.push(JSON.parse(String(chunk))), done()) }) }));
    const app = express();
    app.post('/json', express.json(), (_req, res) => res.json({ ok: true }));
    app.get('/broken', () => {
      throw new Error('database password is hunter2');
    });
    app.get('/teapot', () => {
      throw Object.assign(new Error('internal detail'), { statusCode: 418 });
    });
    app.use(errorHandler(log));
    server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => (logged.length = 0));

  it('answers a malformed JSON body 400 with the status text only', async () => {
    const res = await fetch(`${url}/json`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":' });
    expect(res.status).toBe(400);
    // The status text only: no stack, no file paths, no parser message.
    expect(await res.text()).toBe('Bad Request');
    expect(logged).toEqual([]);
  });

  it('keeps the status of a client error given as statusCode', async () => {
    const res = await fetch(`${url}/teapot`);
    expect(res.status).toBe(418);
    expect(await res.text()).toBe("I'm a Teapot");
  });

  it('answers any other error 500 without its message, and logs it with its stack', async () => {
    const res = await fetch(`${url}/broken?token=x`);
    expect(res.status).toBe(500);
    expect(await res.text()).toBe('Internal Server Error');
    expect(logged).toEqual([
      expect.objectContaining({
        level: 'error',
        message: 'request failed',
        method: 'GET',
        path: '/broken',
        error: expect.objectContaining({ message: 'database password is hunter2', stack: expect.stringMatching(/\n\s+at /) }),
      }),
    ]);
  });
});

describe('the review router', () => {
  let review: ReviewServer;

  beforeAll(async () => {
    review = await ReviewServer.start();
  });
  afterAll(async () => review.stop());

  it('answers a sign-in form too large to read 413, without a stack trace', async () => {
    const res = await fetch(`${review.url}/calls/login`, {
      method: 'POST',
      body: new URLSearchParams({ token: 'x'.repeat(10_000) }),
      redirect: 'manual',
    });
    expect(res.status).toBe(413);
    expect(await res.text()).toBe('Payload Too Large');
  });
});
