import { parseCallFilter } from '../../src/store';

// Local time, as an operator types dates; the expectations are built the same way, so any TZ passes.
const NOW = new Date(2025, 4, 15, 10, 30).getTime();
const HOUR = 60 * 60 * 1000;

describe('parseCallFilter', () => {
  it('reads dates as whole local days, with until including its day', () => {
    expect(parseCallFilter({ since: '2025-05-01', until: '2025-05-03' }, NOW)).toEqual({
      filter: { since: new Date(2025, 4, 1).getTime(), until: new Date(2025, 4, 4).getTime() },
      problems: [],
    });
  });

  it('reads date-times, today, yesterday and spans back from now', () => {
    const { filter } = parseCallFilter({ since: '2025-05-01T09:15', until: 'today' }, NOW);
    expect(filter.since).toBe(new Date(2025, 4, 1, 9, 15).getTime());
    expect(filter.until).toBe(new Date(2025, 4, 16).getTime());
    expect(parseCallFilter({ since: 'yesterday' }, NOW).filter.since).toBe(new Date(2025, 4, 14).getTime());
    expect(parseCallFilter({ since: '24h' }, NOW).filter.since).toBe(NOW - 24 * HOUR);
    expect(parseCallFilter({ since: '7d' }, NOW).filter.since).toBe(NOW - 7 * 24 * HOUR);
    expect(parseCallFilter({ since: '30m' }, NOW).filter.since).toBe(NOW - HOUR / 2);
    expect(parseCallFilter({ since: '2025-05-01T09:15:00Z' }, NOW).filter.since).toBe(Date.UTC(2025, 4, 1, 9, 15));
  });

  it('passes number, reason, search and limit through, ignoring blanks', () => {
    expect(
      parseCallFilter({ number: ' +1555 ', reason: 'transferred', search: 'dentist', limit: '20', since: ' ' }, NOW),
    ).toEqual({ filter: { number: '+1555', endReason: 'transferred', search: 'dentist', limit: 20 }, problems: [] });
  });

  it('reads a direction and an outcome', () => {
    expect(parseCallFilter({ direction: 'outbound', outcome: 'no-answer' }, NOW)).toEqual({ filter: { direction: 'outbound', outcome: 'no-answer' }, problems: [] });
    const { filter, problems } = parseCallFilter({ direction: 'sideways', outcome: 'maybe' }, NOW);
    expect(filter).toEqual({});
    expect(problems).toEqual([
      expect.stringMatching(/^direction: "sideways" is not one of inbound, outbound/),
      expect.stringMatching(/^outcome: "maybe" is not one of queued, initiated, ringing, in-progress, completed, busy, no-answer, failed, canceled$/),
    ]);
  });

  it('names every value it cannot understand, and leaves that filter out', () => {
    const { filter, problems } = parseCallFilter(
      { since: 'last tuesday', until: '2025-02-31', reason: 'bored', limit: '-3', search: 'ok' },
      NOW,
    );
    expect(filter).toEqual({ search: 'ok' });
    expect(problems).toHaveLength(4);
    expect(problems.join('\n')).toMatch(/since: "last tuesday"/);
    expect(problems.join('\n')).toMatch(/until: "2025-02-31"/);
    expect(problems.join('\n')).toMatch(/reason: "bored" is not one of caller-hung-up, /);
    expect(problems.join('\n')).toMatch(/limit: "-3"/);
  });
});
