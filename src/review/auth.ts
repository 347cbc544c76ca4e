import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';

/**
 * One credential, the admin token, proven either as `Authorization: Bearer <token>` (API clients) or by a session
 * cookie the browser got by signing in with it. The cookie holds an HMAC of the token, not the token, so a new
 * token (a restart without ADMIN_TOKEN) signs every browser out.
 */

const SESSION_COOKIE = 'phone_agent_review';
const SESSION_MAX_AGE_S = 7 * 24 * 60 * 60;

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

function sessionValue(adminToken: string): string {
  return createHmac('sha256', adminToken).update('phone-agent review session v1').digest('base64url');
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

export function isSignedIn(req: Request, adminToken: string): boolean {
  const bearer = bearerToken(req);
  if (bearer !== undefined) return tokensMatch(bearer, adminToken);
  const cookie = readCookie(req, SESSION_COOKIE);
  return cookie !== undefined && tokensMatch(cookie, sessionValue(adminToken));
}

/** HttpOnly (no script can read it) and SameSite=Strict (no other site can make the browser use it). */
export function setSessionCookie(req: Request, res: Response, adminToken: string): void {
  res.append('Set-Cookie', cookieHeader(req, sessionValue(adminToken), SESSION_MAX_AGE_S));
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

/** Where to go after signing in: only a path of ours, never another site. */
export function safeReturnPath(next: unknown): string {
  if (typeof next !== 'string') return '/calls';
  return /^\/calls(?:[/?][^\\\s]*)?$/.test(next) ? next : '/calls';
}

/** Ready-to-click links that sign a browser in (printed at start, like Jupyter's). */
export function signInLinks(options: { port: number; token: string; publicUrl?: string }): string[] {
  const query = `/calls?token=${encodeURIComponent(options.token)}`;
  const links = [`http://localhost:${options.port}${query}`, `http://127.0.0.1:${options.port}${query}`];
  if (options.publicUrl) links.push(`${options.publicUrl.replace(/\/+$/, '')}${query}`);
  return links;
}
