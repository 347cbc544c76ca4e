import { SoftphoneTickets } from '../../src/softphone';

describe('SoftphoneTickets', () => {
  let now = 1_000_000;
  const clock = () => now;

  it('mints a call of its own: a WEB CallSid, its stream and a long random token', () => {
    const tickets = new SoftphoneTickets(60_000, 100, clock);
    const a = tickets.mint();
    const b = tickets.mint();
    expect(a.callSid).toMatch(/^WEB[0-9a-f]{32}$/);
    expect(a.streamSid).toBe(`MZ${a.callSid.slice(3)}`);
    expect(a.token).toMatch(/^[\w-]{32}$/);
    expect(a.expiresInMs).toBe(60_000);
    expect(new Set([a.callSid, b.callSid]).size).toBe(2);
    expect(a.token).not.toBe(b.token);
    expect(tickets.pending).toBe(2);
  });

  it('admits a ticket once, for its own call and stream, and says when it was issued', () => {
    const tickets = new SoftphoneTickets(60_000, 100, clock);
    const t = tickets.mint();
    now += 5_000;
    expect(tickets.redeem(t.callSid, t.streamSid, t.token)).toEqual({ ok: true, reachedAt: now - 5_000 });
    expect(tickets.redeem(t.callSid, t.streamSid, t.token)).toEqual({ ok: false, reason: expect.stringMatching(/expired or was used/) });
    expect(tickets.pending).toBe(0);
  });

  it('refuses a wrong token without burning the ticket, and burns it when the stream is not its own', () => {
    const tickets = new SoftphoneTickets(60_000, 100, clock);
    const t = tickets.mint();
    expect(tickets.redeem(t.callSid, t.streamSid, 'guess')).toEqual({ ok: false, reason: 'wrong softphone token' });
    expect(tickets.redeem(t.callSid, t.streamSid, undefined)).toEqual({ ok: false, reason: 'wrong softphone token' });
    expect(tickets.redeem('WEB0', t.streamSid, t.token).ok).toBe(false);
    expect(tickets.redeem(t.callSid, 'MZother', t.token)).toEqual({ ok: false, reason: "the stream is not the ticket's" });
    expect(tickets.redeem(t.callSid, t.streamSid, t.token).ok).toBe(false);
  });

  it('expires tickets after their time', () => {
    const tickets = new SoftphoneTickets(60_000, 100, clock);
    const t = tickets.mint();
    now += 60_001;
    expect(tickets.pending).toBe(0);
    expect(tickets.redeem(t.callSid, t.streamSid, t.token).ok).toBe(false);
  });

  it('keeps at most maxPending tickets, dropping the oldest', () => {
    const tickets = new SoftphoneTickets(60_000, 3, clock);
    const [first, ...rest] = [tickets.mint(), tickets.mint(), tickets.mint(), tickets.mint()];
    expect(tickets.pending).toBe(3);
    expect(tickets.redeem(first.callSid, first.streamSid, first.token).ok).toBe(false);
    for (const t of rest) expect(tickets.redeem(t.callSid, t.streamSid, t.token).ok).toBe(true);
  });
});
