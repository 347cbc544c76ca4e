import { randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * One-time stream tokens. The webhook mints one per call and hands it to Twilio in a <Parameter>; the media
 * stream is bridged only if its `start` carries that token for that CallSid. A token is good once, and only
 * for `ttlMs` after it was minted, so a leaked TwiML document cannot be replayed to open model sessions.
 *
 * A CallSid gets one token, ever: the upgrade signature covers a constant URL, so the token is what binds a
 * stream to its call, and a replayed webhook must not mint a second one for a call already bridged. CallSids
 * are remembered for `rememberMs` (the longest a call can last).
 */
export class StreamTokens {
  private readonly tokens = new Map<string, { token: string; mintedAt: number }>();
  private readonly minted = new Map<string, number>();

  constructor(
    private readonly ttlMs = 60_000,
    private readonly rememberMs = 24 * 60 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** A fresh token for the call, or undefined if this CallSid already had one. */
  mint(callSid: string): string | undefined {
    this.prune();
    if (this.minted.has(callSid)) return undefined;
    const token = randomBytes(24).toString('base64url');
    const mintedAt = this.now();
    this.tokens.set(callSid, { token, mintedAt });
    this.minted.set(callSid, mintedAt);
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
    const now = this.now();
    for (const [callSid, { mintedAt }] of this.tokens) if (mintedAt < now - this.ttlMs) this.tokens.delete(callSid);
    // Maps iterate in insertion order, which is minting order: stop at the first one still remembered.
    for (const [callSid, mintedAt] of this.minted) {
      if (mintedAt > now - this.rememberMs) break;
      this.minted.delete(callSid);
    }
  }
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
