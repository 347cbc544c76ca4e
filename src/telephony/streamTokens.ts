import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Claims that succeed once: the first `claim(key)` is true, every later one false, until `untilMs` has passed.
 * Shared between instances when they share a store (see SharedState in src/store).
 */
export interface Claims {
  claim(key: string, untilMs: number): Promise<boolean>;
}

export type Redemption = { ok: true; mintedAt: number } | { ok: false; reason: string };

/**
 * Stream tokens. The webhook mints one per call and hands it to Twilio in a <Parameter>; the media stream is
 * bridged only if its `start` carries a token for that CallSid. A token is an HMAC over the CallSid and the
 * time it was minted, so any instance that shares the secret can check it; it is good for `ttlMs`, and once.
 *
 * A CallSid gets one token, ever: the upgrade signature covers a constant URL, so the token is what binds a
 * stream to its call, and a replayed webhook must not mint a second one for a call already bridged. Both
 * "once"s are claims (`Claims`), shared between instances when the store is; they are kept for `rememberMs`
 * (the longest a call can last).
 */
export class StreamTokens {
  /** Calls answered here whose stream has not been redeemed yet, by when they were minted: they hold a slot. */
  private readonly unredeemed = new Map<string, number>();

  constructor(
    private readonly secret: Buffer,
    private readonly claims: Claims,
    private readonly ttlMs = 60_000,
    private readonly rememberMs = 24 * 60 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** A fresh token for the call, or undefined if this CallSid had one already (here or on another instance). */
  async mint(callSid: string): Promise<string | undefined> {
    const mintedAt = this.now();
    if (!(await this.claims.claim(`mint:${callSid}`, mintedAt + this.rememberMs))) return undefined;
    this.unredeemed.set(callSid, mintedAt);
    const nonce = randomBytes(12).toString('base64url');
    return `${mintedAt.toString(36)}.${nonce}.${this.sign(callSid, mintedAt, nonce)}`;
  }

  /** Checks the call's token and uses it up; on success says when the call reached the webhook. */
  async redeem(callSid: string, token: string | undefined): Promise<Redemption> {
    const [minted, nonce, signature, extra] = (token ?? '').split('.');
    const mintedAt = parseInt(minted ?? '', 36);
    if (!nonce || !signature || extra !== undefined || !Number.isFinite(mintedAt) || !sameText(signature, this.sign(callSid, mintedAt, nonce))) {
      return { ok: false, reason: 'wrong stream token' };
    }
    const now = this.now();
    if (now - mintedAt > this.ttlMs || mintedAt > now + 60_000) return { ok: false, reason: 'the stream token expired' };
    if (!(await this.claims.claim(`stream:${callSid}`, mintedAt + this.rememberMs))) {
      return { ok: false, reason: 'the stream token was used already' };
    }
    this.unredeemed.delete(callSid);
    return { ok: true, mintedAt };
  }

  /** Calls answered by this instance whose stream has not started yet (and may still). */
  get pending(): number {
    const oldest = this.now() - this.ttlMs;
    for (const [callSid, mintedAt] of this.unredeemed) if (mintedAt < oldest) this.unredeemed.delete(callSid);
    return this.unredeemed.size;
  }

  private sign(callSid: string, mintedAt: number, nonce: string): string {
    return createHmac('sha256', this.secret).update(`stream-token v1\n${callSid}\n${mintedAt}\n${nonce}`).digest('base64url');
  }
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
