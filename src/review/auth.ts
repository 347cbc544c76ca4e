import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';

/**
 * One credential, the admin token, proven either as `Authorization: Bearer <token>` (API clients) or by a session
 * cookie the browser got by signing in with it. The cookie holds the time it was issued and an HMAC of that time
 * keyed by the token, not the token: the server refuses it after SESSION_MAX_AGE_S even if it was copied, and a new
 * token (a restart without ADMIN_TOKEN) signs every browser out.
 */

const SESSION_COOKIE = 'phone_agent_review';
const SESSION_MAX_AGE_S = 7 * 24 * 60 * 60;
/** Another machine's clock may be a little ahead: a cookie issued up to this far in the future still counts. */
const CLOCK_SKEW_S = 60;

/** A fresh random admin token (256 bits, URL-safe), for starts without ADMIN_TOKEN. */
export function generateAdminToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Constant-time comparison; hashing first makes the lengths equal, so the length does not leak either. */
export function tokensMatch(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

function sessionSignature(adminToken: string, issuedAtS: number): string {
  return createHmac('sha256', adminToken).update(`phone-agent review session v2 ${issuedAtS}`).digest('base64url');
}

function sessionValue(adminToken: string, nowMs: number): string {
  const issuedAtS = Math.floor(nowMs / 1000);
  return `${issuedAtS}.${sessionSignature(adminToken, issuedAtS)}`;
}

/** A cookie this token signed, neither older than the session's maximum age nor from the future. */
function isValidSession(value: string, adminToken: string, nowMs: number): boolean {
  const match = /^(\d{1,12})\.([\w-]+)$/.exec(value);
  if (!match) return false;
  const issuedAtS = Number(match[1]);
  const ageS = nowMs / 1000 - issuedAtS;
  return ageS <= SESSION_MAX_AGE_S && ageS >= -CLOCK_SKEW_S && tokensMatch(match[2], sessionSignature(adminToken, issuedAtS));
}

/** The token from `Authorization: Bearer …`, if there is one. */
function bearerToken(req: Request): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(req.header('authorization') ?? '');
  return match?.[1];
}

function readCookie(req: Request, name: string): string | undefined {
  for (const part of (req.header('cookie') ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * What a request proves. A bearer header wins over the cookie. A wrong bearer token is a failed sign-in; an old
 * or foreign cookie (expired, or signed with an earlier token) is merely no credential.
 */
export type Credential = 'bearer' | 'session' | 'wrong-token' | 'none';

export function credentialOf(req: Request, adminToken: string, nowMs: number): Credential {
  const bearer = bearerToken(req);
  if (bearer !== undefined) return tokensMatch(bearer, adminToken) ? 'bearer' : 'wrong-token';
  const cookie = readCookie(req, SESSION_COOKIE);
  return cookie !== undefined && isValidSession(cookie, adminToken, nowMs) ? 'session' : 'none';
}

/** HttpOnly (no script can read it) and SameSite=Strict (no other site can make the browser use it). */
export function setSessionCookie(req: Request, res: Response, adminToken: string, nowMs: number): void {
  res.append('Set-Cookie', cookieHeader(req, sessionValue(adminToken, nowMs), SESSION_MAX_AGE_S));
}

export function clearSessionCookie(req: Request, res: Response): void {
  res.append('Set-Cookie', cookieHeader(req, '', 0));
}

function cookieHeader(req: Request, value: string, maxAgeSeconds: number): string {
  // Behind an https proxy (ngrok) the browser sees https even though we are spoken to in http.
  const https = req.secure || req.header('x-forwarded-proto')?.split(',')[0].trim() === 'https';
  return [
    `${SESSION_COOKIE}=${value}`,
    'Path=/',
    `Max-Age=${maxAgeSeconds}`,
    'HttpOnly',
    'SameSite=Strict',
    ...(https ? ['Secure'] : []),
  ].join('; ');
}

/** The address sign-in failures are counted by: the client's, or the one a trusted proxy says it forwarded for. */
export function clientAddress(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? 'unknown';
}

/**
 * Failed sign-ins per client address. After `maxFailures` within `windowMs` of its first failure, an address is
 * refused until that window ends. Held in memory; windows that ended are dropped, and beyond `maxClients`
 * addresses the oldest window goes, so a flood of addresses cannot grow it without bound.
 */
export class SignInLimiter {
  /** In the order the windows started (a new window is a new entry), so the ended ones are at the front. */
  private readonly windows = new Map<string, { startedAt: number; failures: number }>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly limits = { maxFailures: 10, windowMs: 10 * 60_000, maxClients: 10_000 },
  ) {}

  /** Milliseconds until `client` may offer a token again; 0 when it may now. */
  retryAfterMs(client: string): number {
    const window = this.current(client);
    return window && window.failures >= this.limits.maxFailures ? window.startedAt + this.limits.windowMs - this.now() : 0;
  }

  /** Counts a failure; returns `retryAfterMs` after it (above 0: this failure locked the client out). */
  fail(client: string): number {
    this.prune();
    const window = this.current(client);
    if (window) {
      window.failures += 1;
    } else {
      if (this.windows.size >= this.limits.maxClients) this.windows.delete(this.windows.keys().next().value!);
      this.windows.set(client, { startedAt: this.now(), failures: 1 });
    }
    return this.retryAfterMs(client);
  }

  private current(client: string) {
    const window = this.windows.get(client);
    return window && this.now() < window.startedAt + this.limits.windowMs ? window : undefined;
  }

  private prune(): void {
    for (const [client, window] of this.windows) {
      if (this.now() < window.startedAt + this.limits.windowMs) break;
      this.windows.delete(client);
    }
  }
}

/** Where to go after signing in: only a path of ours, never another site. */
export function safeReturnPath(next: unknown): string {
  if (typeof next !== 'string') return '/calls';
  return /^\/(?:calls|phone)(?:[/?][^\\\s]*)?$/.test(next) ? next : '/calls';
}

/** Ready-to-click links that sign a browser in and open `page` (printed at start, like Jupyter's). */
export function signInLinks(options: { port: number; token: string; publicUrl?: string; page?: '/calls' | '/phone' }): string[] {
  const query = `${options.page ?? '/calls'}?token=${encodeURIComponent(options.token)}`;
  const links = [`http://localhost:${options.port}${query}`, `http://127.0.0.1:${options.port}${query}`];
  if (options.publicUrl) links.push(`${options.publicUrl.replace(/\/+$/, '')}${query}`);
  return links;
}
