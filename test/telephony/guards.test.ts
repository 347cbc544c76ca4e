import { FloodGuard, StreamTokens } from '../../src/telephony';

describe('StreamTokens', () => {
  let now = 0;
  const tokens = () => new StreamTokens(60_000, 3_600_000, () => now);
  beforeEach(() => (now = 1_000_000));

  it('redeems a call\'s own token once, saying when it was minted', () => {
    const store = tokens();
    const token = store.mint('CA1')!;
    expect(store.pending).toBe(1);
    expect(store.redeem('CA1', token)).toEqual({ ok: true, mintedAt: 1_000_000 });
    expect(store.redeem('CA1', token)).toEqual({ ok: false, reason: expect.stringMatching(/expired or was used/) });
    expect(store.pending).toBe(0);
  });

  it('refuses a wrong or missing token, or another call\'s, without spending it', () => {
    const store = tokens();
    const token = store.mint('CA1')!;
    store.mint('CA2');
    expect(store.redeem('CA1', 'nope')).toEqual({ ok: false, reason: 'wrong stream token' });
    expect(store.redeem('CA1', undefined)).toEqual({ ok: false, reason: 'wrong stream token' });
    expect(store.redeem('CA2', token)).toEqual({ ok: false, reason: 'wrong stream token' });
    expect(store.redeem('CA1', token).ok).toBe(true);
  });

  it('mints once per CallSid for as long as a call can last, used or not', () => {
    const store = tokens();
    const token = store.mint('CA1')!;
    expect(store.mint('CA1')).toBeUndefined();
    expect(store.redeem('CA1', token).ok).toBe(true);
    now += 3_599_999;
    expect(store.mint('CA1')).toBeUndefined();
    expect(store.mint('CA2')).toEqual(expect.any(String));
    now += 1;
    expect(store.mint('CA1')).toEqual(expect.any(String));
  });

  it('expires unused tokens after a minute', () => {
    const store = tokens();
    const token = store.mint('CA1')!;
    now += 60_001;
    expect(store.pending).toBe(0);
    expect(store.redeem('CA1', token).ok).toBe(false);
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
