import { randomBytes } from 'node:crypto';
import { tokensMatch } from '../review/auth';

/** What the signed-in page gets to place one call: the call's ids, and the token its stream must present. */
export interface Ticket {
  callSid: string;
  streamSid: string;
  token: string;
  /** How long the token is good for. */
  expiresInMs: number;
}

export type Redemption = { ok: true; reachedAt: number } | { ok: false; reason: string };

interface Issued {
  streamSid: string;
  token: string;
  mintedAt: number;
}

/**
 * One-time tickets for softphone calls. A signed-in page asks for one (a POST behind the admin credential), and
 * the websocket it opens is bridged only if its `start` carries that ticket's token, for that ticket's CallSid
 * and streamSid, within `ttlMs`. A token is good once: a wrong one burns nothing, a right one is used up by its
 * first use. At most `maxPending` are waiting at a time (the oldest go first), so asking cannot grow memory.
 */
export class SoftphoneTickets {
  private readonly issued = new Map<string, Issued>();

  constructor(
    private readonly ttlMs = 60_000,
    private readonly maxPending = 100,
    private readonly now: () => number = Date.now,
  ) {}

  /** A new call: `WEB` + 32 hex digits, its stream, and a 192-bit token. */
  mint(): Ticket {
    this.prune();
    if (this.issued.size >= this.maxPending) this.issued.delete(this.issued.keys().next().value!);
    const id = randomBytes(16).toString('hex');
    const ticket = { callSid: `WEB${id}`, streamSid: `MZ${id}`, token: randomBytes(24).toString('base64url') };
    this.issued.set(ticket.callSid, { streamSid: ticket.streamSid, token: ticket.token, mintedAt: this.now() });
    return { ...ticket, expiresInMs: this.ttlMs };
  }

  /** Uses up the call's ticket; on success says when it was issued (when the call reached us). */
  redeem(callSid: string, streamSid: string, token: string | undefined): Redemption {
    this.prune();
    const issued = this.issued.get(callSid);
    if (!issued) return { ok: false, reason: 'no softphone ticket was issued for this call, or it expired or was used' };
    if (!token || !tokensMatch(token, issued.token)) return { ok: false, reason: 'wrong softphone token' };
    this.issued.delete(callSid);
    if (issued.streamSid !== streamSid) return { ok: false, reason: 'the stream is not the ticket\'s' };
    return { ok: true, reachedAt: issued.mintedAt };
  }

  /** Tickets issued and not used or expired yet. */
  get pending(): number {
    this.prune();
    return this.issued.size;
  }

  private prune(): void {
    const oldest = this.now() - this.ttlMs;
    // Maps iterate in insertion order, which is minting order: stop at the first one still good.
    for (const [callSid, { mintedAt }] of this.issued) {
      if (mintedAt >= oldest) break;
      this.issued.delete(callSid);
    }
  }
}
