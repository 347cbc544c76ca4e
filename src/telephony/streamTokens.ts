import { randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * One-time stream tokens. The webhook mints one per call and hands it to Twilio in a <Parameter>; the media
 * stream is bridged only if its `start` carries that token for that CallSid. A token is good once, and only
 * for `ttlMs` after it was minted, so a leaked TwiML document cannot be replayed to open model sessions.
 */
export class StreamTokens {
  private readonly tokens = new Map<string, { token: string; mintedAt: number }>();

  constructor(
    private readonly ttlMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  mint(callSid: string): string {
    this.prune();
    const token = randomBytes(24).toString('base64url');
    this.tokens.set(callSid, { token, mintedAt: this.now() });
    return token;
  }

  /** Consumes the call's token; on success says when the call reached the webhook. */
  redeem(callSid: string, token: string | undefined): { ok: true; mintedAt: number } | { ok: false; reason: string } {
    this.prune();
    const minted = this.tokens.get(callSid);
    if (!minted) return { ok: false, reason: 'no stream token was issued for this call, or it expired or was used' };
    if (!token || !sameText(minted.token, token)) return { ok: false, reason: 'wrong stream token' };
    this.tokens.delete(callSid);
    return { ok: true, mintedAt: minted.mintedAt };
  }

  /** Calls that were answered and whose stream has not started yet. */
  get pending(): number {
    this.prune();
    return this.tokens.size;
  }

  private prune(): void {
    const oldest = this.now() - this.ttlMs;
    for (const [callSid, { mintedAt }] of this.tokens) if (mintedAt < oldest) this.tokens.delete(callSid);
  }
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
