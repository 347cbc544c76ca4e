import { MemorySharedState } from '../../src/store';
import { FloodGuard, StreamTokens } from '../../src/telephony';

describe('StreamTokens', () => {
  let now = 0;
  const secret = Buffer.from('a-shared-secret-of-at-least-32-chars!');
  const tokens = (claims = new MemorySharedState(() => now), key = secret) => new StreamTokens(key, claims, 60_000, 3_600_000, () => now);
  beforeEach(() => (now = 1_000_000));

  it('redeems a call\'s own token once, saying when it was minted', async () => {
    const store = tokens();
    const token = (await store.mint('CA1'))!;
    expect(store.pending).toBe(1);
    expect(await store.redeem('CA1', token)).toEqual({ ok: true, mintedAt: 1_000_000 });
    expect(await store.redeem('CA1', token)).toEqual({ ok: false, reason: 'the stream token was used already' });
    expect(store.pending).toBe(0);
  });

  it('refuses a wrong, missing or tampered token, or another call\'s', async () => {
    const store = tokens();
    const token = (await store.mint('CA1'))!;
    await store.mint('CA2');
    const [minted, nonce, signature] = token.split('.');
    for (const bad of [undefined, 'nope', `${minted}.${nonce}.${signature.slice(1)}x`, `${(now + 1).toString(36)}.${nonce}.${signature}`, `${token}.x`]) {
      expect(await store.redeem('CA1', bad)).toEqual({ ok: false, reason: 'wrong stream token' });
    }
    expect(await store.redeem('CA2', token)).toEqual({ ok: false, reason: 'wrong stream token' });
    expect((await store.redeem('CA1', token)).ok).toBe(true);
  });

  it('is checked by any instance with the same secret, and used once across them through shared claims', async () => {
    const shared = new MemorySharedState(() => now);
    const first = tokens(shared);
    const second = tokens(shared);
    const token = (await first.mint('CA1'))!;
    expect(await second.mint('CA1')).toBeUndefined(); // a replayed webhook on the other instance
    expect((await second.redeem('CA1', token)).ok).toBe(true);
    expect(await first.redeem('CA1', token)).toEqual({ ok: false, reason: 'the stream token was used already' });
    expect(await tokens(new MemorySharedState(() => now), Buffer.from('another-secret-another-secret-1234')).redeem('CA1', token)).toEqual({
      ok: false,
      reason: 'wrong stream token',
    });
  });

  it('mints once per CallSid for as long as a call can last, used or not', async () => {
    const store = tokens();
    const token = (await store.mint('CA1'))!;
    expect(await store.mint('CA1')).toBeUndefined();
    expect((await store.redeem('CA1', token)).ok).toBe(true);
    now += 3_599_999;
    expect(await store.mint('CA1')).toBeUndefined();
    expect(await store.mint('CA2')).toEqual(expect.any(String));
    now += 1;
    expect(await store.mint('CA1')).toEqual(expect.any(String));
  });

  it('expires unused tokens after a minute', async () => {
    const store = tokens();
    const token = (await store.mint('CA1'))!;
    now += 60_001;
    expect(store.pending).toBe(0);
    expect(await store.redeem('CA1', token)).toEqual({ ok: false, reason: 'the stream token expired' });
  });
});

describe('FloodGuard', () => {
  it('allows up to the limit per second, then refuses until the next second', () => {
    let now = 0;
    const guard = new FloodGuard(3, () => now);
    expect([guard.allow(), guard.allow(), guard.allow(), guard.allow()]).toEqual([true, true, true, false]);
    now = 999;
    expect(guard.allow()).toBe(false);
    now = 1000;
    expect(guard.allow()).toBe(true);
  });
});
