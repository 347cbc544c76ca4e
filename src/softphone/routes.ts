import path from 'node:path';
import express from 'express';
import type { Logger } from '../log';
import { renderPhonePage } from './page';
import { isSameOrigin } from './origin';
import type { SoftphoneTickets } from './tickets';

export interface SoftphoneDeps {
  tickets: SoftphoneTickets;
  /** Shown on the page as who answers. */
  agentName: string;
  log?: Logger;
}

/** The page's scripts and audio worklets: plain files, no build step. */
const STATIC_DIR = path.join(__dirname, '..', '..', 'public', 'phone');

/** A Host header we can name in a policy: a name or an IP address, and a port. */
const PLAIN_HOST = /^(?:[a-z0-9.-]+|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;

/**
 * Our scripts only (the page script and its two worklets, which `script-src` governs), the websocket back to us,
 * styles inline as on the review pages. No inline script can run, whatever a transcript contains. The websocket is
 * named as well as 'self': not every browser counts ws: and wss: as 'self'.
 */
function pagePolicy(host: string | undefined): string {
  const sockets = host && PLAIN_HOST.test(host) ? ` ws://${host} wss://${host}` : '';
  return [
    "default-src 'none'",
    "script-src 'self'",
    `connect-src 'self'${sockets}`,
    "style-src 'unsafe-inline'",
    "img-src 'self' data:",
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * The softphone's HTTP side, to be mounted at /phone behind the admin sign-in: the page, its static scripts, and
 * `POST /phone/call`, which hands the signed-in page a one-time ticket for the media websocket (/phone/stream).
 */
export function createSoftphoneRouter({ tickets, agentName, log }: SoftphoneDeps): express.Router {
  const router = express.Router();

  router.get('/', (req, res) => {
    res.status(200).set('Content-Security-Policy', pagePolicy(req.host)).type('html').send(renderPhonePage({ agentName }));
  });

  router.use('/static', express.static(STATIC_DIR, { index: false, fallthrough: false }));

  // The session cookie is SameSite=Strict, so another site cannot send it; a browser's Origin must also be ours.
  router.post('/call', (req, res) => {
    if (!isSameOrigin(req.header('origin'), req.host)) {
      log?.warn('refused a softphone ticket to another site', { origin: req.header('origin'), ip: req.ip });
      res.status(403).json({ error: 'forbidden: not from this site' });
      return;
    }
    const ticket = tickets.mint();
    log?.info('softphone ticket issued', { callSid: ticket.callSid });
    res.json({ callSid: ticket.callSid, streamSid: ticket.streamSid, token: ticket.token, expiresInS: ticket.expiresInMs / 1000 });
  });

  return router;
}
