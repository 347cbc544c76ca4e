import { existsSync } from 'node:fs';
import path from 'node:path';
import express, { type NextFunction, type Request, type Response } from 'express';
import { errorHandler } from '../httpErrors';
import type { Logger } from '../log';
import { DEFAULT_LIST_LIMIT, parseCallFilter, type CallStore, type FilterInput } from '../store';
import {
  clearSessionCookie,
  clientAddress,
  credentialOf,
  safeReturnPath,
  setSessionCookie,
  SignInLimiter,
  tokensMatch,
} from './auth';
import { renderCallPage, renderListPage, renderNotFoundPage, renderSignInPage } from './pages';
import { parseOverviewRange } from '../store';
import { renderOverviewPage } from './overviewPage';

export interface ReviewDeps {
  store: CallStore;
  adminToken: string;
  recordingsDir: string;
  /** Sign-ins, failed ones and lockouts are logged here, with the client's address, never the token. */
  log?: Logger;
  /** The clock for session ages, sign-in limits and date filters. */
  now?: () => number;
  /** Mounted at /phone behind the same sign-in: the softphone. */
  softphone?: express.Router;
  /** Mounted at /api/calls behind the same sign-in, before the routes that read calls: placing calls. */
  placeCalls?: express.Router;
}

/** No scripts at all, styles only inline, media only from here: even an escaping bug could not run code. */
const PAGE_POLICY = [
  "default-src 'none'",
  "style-src 'unsafe-inline'",
  "media-src 'self'",
  "img-src 'self' data:",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Reviewing calls: the web pages under /calls and the JSON API under /api/calls, all behind the admin token
 * (a bearer header or the session cookie from signing in). Mount at the root: `app.use(createReviewRouter(...))`.
 */
export function createReviewRouter({ store, adminToken, recordingsDir, log, now = Date.now, softphone, placeCalls }: ReviewDeps): express.Router {
  const router = express.Router();
  const recordingsRoot = path.resolve(recordingsDir);
  const limiter = new SignInLimiter(now);

  router.use(['/calls', '/api/calls', '/api/overview', '/phone'], (_req, res, next) => {
    // Transcripts are personal data: never cached, never framed, never leaked through a Referer.
    res.set({
      'Cache-Control': 'no-store',
      'Referrer-Policy': 'no-referrer',
      'X-Content-Type-Options': 'nosniff',
      'X-Frame-Options': 'DENY',
    });
    next();
  });

  // --- Signing in -------------------------------------------------------------------------------------------

  /** While an address is locked out only a session cookie gets in: any token is refused, right or wrong. */
  const lockout = (refuse: (req: Request, res: Response, error: string) => void) =>
    (req: Request, res: Response, next: NextFunction) => {
      const retryAfterMs = limiter.retryAfterMs(clientAddress(req));
      if (retryAfterMs <= 0 || credentialOf(req, adminToken, now()) === 'session') return next();
      res.set('Retry-After', String(Math.ceil(retryAfterMs / 1000)));
      refuse(req, res, `Too many failed sign-ins from your address. Try again in ${Math.ceil(retryAfterMs / 60_000)} min.`);
    };
  router.use(['/calls', '/phone'], lockout((req, res, error) => sendPage(res, 429, renderSignInPage({ next: cleanUrl(req), error }))));
  router.use(['/api/calls', '/api/overview'], lockout((_req, res, error) => res.status(429).json({ error })));

  /** Checks a token offered to sign in: the right one sets the session cookie, a wrong one counts against the address. */
  const trySignIn = (req: Request, res: Response, token: string, via: 'link' | 'form'): boolean => {
    if (!tokensMatch(token, adminToken)) {
      failedSignIn(req, via);
      return false;
    }
    log?.info('signed in', { ip: clientAddress(req), via });
    setSessionCookie(req, res, adminToken, now());
    return true;
  };

  const failedSignIn = (req: Request, via: 'link' | 'form' | 'bearer') => {
    const ip = clientAddress(req);
    log?.warn('sign-in failed: wrong token', { ip, via });
    const retryAfterMs = limiter.fail(ip);
    if (retryAfterMs > 0) log?.warn('too many failed sign-ins: refusing tokens from this address', { ip, retryAfterS: Math.ceil(retryAfterMs / 1000) });
  };

  /** The bearer header or the session cookie; a wrong bearer token counts as a failed sign-in. */
  const signedIn = (req: Request): boolean => {
    const credential = credentialOf(req, adminToken, now());
    if (credential === 'wrong-token') failedSignIn(req, 'bearer');
    return credential === 'bearer' || credential === 'session';
  };

  /** A sign-in link (?token=…) sets the cookie and redirects to the same page without the token in the URL. */
  const tokenLink = (req: Request, res: Response, next: NextFunction) => {
    const token = req.query.token;
    if (typeof token !== 'string') return next();
    if (!trySignIn(req, res, token, 'link')) {
      return sendPage(res, 401, renderSignInPage({ next: cleanUrl(req), error: 'That sign-in link is not valid any more: the server makes a new token each time it starts. Use the newest link, or enter the token.' }));
    }
    res.redirect(303, cleanUrl(req));
  };

  /** Pages: signed in, or the sign-in form (which comes back here afterwards). */
  const pageAuth = (req: Request, res: Response, next: NextFunction) => {
    if (signedIn(req)) return next();
    sendPage(res, 401, renderSignInPage({ next: safeReturnPath(req.originalUrl) }));
  };

  router.get('/calls/login', (req, res) => {
    if (signedIn(req)) return res.redirect(303, safeReturnPath(req.query.next));
    sendPage(res, 200, renderSignInPage({ next: safeReturnPath(req.query.next) }));
  });

  router.post('/calls/login', express.urlencoded({ extended: false, limit: '4kb' }), (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const next = safeReturnPath(body.next);
    if (!trySignIn(req, res, typeof body.token === 'string' ? body.token.trim() : '', 'form')) {
      return sendPage(res, 401, renderSignInPage({ next, error: 'That token is not right.' }));
    }
    res.redirect(303, next);
  });

  router.post('/calls/logout', (req, res) => {
    clearSessionCookie(req, res);
    res.redirect(303, '/calls');
  });

  // --- Pages ------------------------------------------------------------------------------------------------

  // The store's promises: Express 5 hands a rejection to the error handler at the end (a 500, logged).
  router.get('/calls', tokenLink, pageAuth, async (req, res) => {
    const input = filterInput(req);
    const { filter, problems } = parseCallFilter(input, now());
    const limit = filter.limit ?? DEFAULT_LIST_LIMIT;
    sendPage(res, 200, renderListPage({ calls: await store.list({ ...filter, limit }), input, problems, limit }));
  });

  // The calls at a glance; before /calls/:callSid, which would take "overview" for a call.
  router.get('/calls/overview', tokenLink, pageAuth, async (req, res) => {
    const input = { since: queryText(req, 'since'), until: queryText(req, 'until') };
    const { range, problems } = parseOverviewRange(input, now());
    sendPage(res, 200, renderOverviewPage({ overview: await store.overview(range), input, problems, timeZone: serverTimeZone(), now: now() }));
  });

  router.get('/calls/:callSid', tokenLink, pageAuth, async (req, res) => {
    const call = await store.get(callSidOf(req));
    if (!call) return sendPage(res, 404, renderNotFoundPage(callSidOf(req)));
    const [analysis, deliveries] = await Promise.all([store.analysisOf(call.callSid), store.deliveriesOf(call.callSid)]);
    sendPage(res, 200, renderCallPage(call, { hasRecording: recordingFile(call.recordingFile) !== undefined, analysis, deliveries }));
  });

  if (softphone) router.use('/phone', tokenLink, pageAuth, softphone);

  // --- JSON API ---------------------------------------------------------------------------------------------

  router.use(['/api/calls', '/api/overview'], (req, res, next) => {
    if (signedIn(req)) return next();
    res.set('WWW-Authenticate', 'Bearer realm="call records"');
    res.status(401).json({ error: 'unauthorized: send Authorization: Bearer <ADMIN_TOKEN>' });
  });

  if (placeCalls) router.use('/api/calls', placeCalls);

  router.get('/api/calls', async (req, res) => {
    const { filter, problems } = parseCallFilter(filterInput(req), now());
    if (problems.length > 0) return res.status(400).json({ error: 'bad filter', problems });
    res.json({ calls: await store.list(filter) });
  });

  router.get('/api/overview', async (req, res) => {
    const { range, problems } = parseOverviewRange({ since: queryText(req, 'since'), until: queryText(req, 'until') }, now());
    if (problems.length > 0) return res.status(400).json({ error: 'bad range', problems });
    res.json({ ...(await store.overview(range)), timeZone: serverTimeZone() });
  });

  router.get('/api/calls/:callSid', async (req, res) => {
    const call = await store.get(callSidOf(req));
    if (!call) return res.status(404).json({ error: 'no such call' });
    res.json(call);
  });

  // What came after the call: its analysis (summary, fields, attempts) and its webhook deliveries with their attempts.
  router.get('/api/calls/:callSid/analysis', async (req, res) => {
    const call = await store.get(callSidOf(req));
    if (!call) return res.status(404).json({ error: 'no such call' });
    const [analysis, webhooks] = await Promise.all([store.analysisOf(call.callSid), store.deliveriesOf(call.callSid)]);
    res.json({ analysis: analysis ?? null, webhooks });
  });

  router.get('/api/calls/:callSid/recording', async (req, res) => {
    const call = await store.get(callSidOf(req));
    const file = recordingFile(call?.recordingFile);
    if (!call || !file) return res.status(404).json({ error: 'no recording for this call' });
    const disposition = req.query.download === undefined ? 'inline' : 'attachment';
    // `root` keeps sendFile inside the recordings folder whatever the stored name says.
    res.sendFile(file, {
      root: recordingsRoot,
      headers: { 'Content-Type': 'audio/wav', 'Content-Disposition': `${disposition}; filename="${file}"` },
    });
  });

  /** The recording's file name when the file is really there. */
  function recordingFile(stored: string | undefined): string | undefined {
    if (!stored) return undefined;
    const name = path.basename(stored);
    return existsSync(path.join(recordingsRoot, name)) ? name : undefined;
  }

  // A body too large for the sign-in form, for one: its status, without Express's stack trace.
  router.use(errorHandler(log));
  return router;
}

function callSidOf(req: Request): string {
  return String(req.params.callSid);
}

function sendPage(res: Response, status: number, body: string): void {
  res.status(status).set('Content-Security-Policy', PAGE_POLICY).type('html').send(body);
}

function filterInput(req: Request): FilterInput {
  const q = req.query;
  const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return {
    since: text(q.since),
    until: text(q.until),
    number: text(q.number),
    reason: text(q.reason),
    direction: text(q.direction),
    outcome: text(q.outcome),
    search: text(q.search) ?? text(q.q),
    analysis: text(q.analysis),
    field: text(q.field),
    limit: text(q.limit),
  };
}

function queryText(req: Request, name: string): string | undefined {
  const value = req.query[name];
  return typeof value === 'string' ? value : undefined;
}

/** The time zone local times are in on the pages (and overview days are counted in): this process's. */
function serverTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** The request's path and query without `token`. */
function cleanUrl(req: Request): string {
  const url = new URL(req.originalUrl, 'http://localhost');
  url.searchParams.delete('token');
  return safeReturnPath(url.pathname + url.search);
}
