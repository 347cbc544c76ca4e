import { dayKey, dayNumberSql, localDayNumber, nearestRank, overviewDayNumbers, parseOverviewRange, utcOffsetSteps } from '../../src/store/overview';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const MAY_1 = Date.UTC(2025, 4, 1);

describe('overview helpers', () => {
  it('nearest rank is ⌈p·n/100⌉ for every n, in integer arithmetic', () => {
    for (let n = 1; n <= 500; n++) {
      for (const p of [50, 90]) expect(nearestRank(p, n)).toBe(Math.ceil((p * n) / 100 - 1e-9));
    }
    expect([1, 2, 3, 10, 11].map((n) => nearestRank(50, n))).toEqual([1, 1, 2, 5, 6]);
    expect([1, 2, 3, 10, 11].map((n) => nearestRank(90, n))).toEqual([1, 2, 3, 9, 10]);
  });

  it('finds each change of UTC offset to the millisecond, and none where there is none', () => {
    const springForward = Date.UTC(2025, 2, 30, 1, 0, 0); // Europe: 01:00 UTC, +1 h → +2 h
    const fallBack = Date.UTC(2025, 9, 26, 1, 0, 0);
    const europe = (at: number) => (at >= springForward && at < fallBack ? 2 : 1) * HOUR;
    expect(utcOffsetSteps(Date.UTC(2025, 2, 1), Date.UTC(2025, 11, 1), europe)).toEqual([
      { from: Date.UTC(2025, 2, 1), offsetMs: HOUR },
      { from: springForward, offsetMs: 2 * HOUR },
      { from: fallBack, offsetMs: HOUR },
    ]);
    expect(utcOffsetSteps(MAY_1, MAY_1 + 90 * DAY, () => -5 * HOUR)).toEqual([{ from: MAY_1, offsetMs: -5 * HOUR }]);
    // A change in the last hour of the range, not on an hour boundary.
    const odd = MAY_1 + DAY - 1234;
    expect(utcOffsetSteps(MAY_1, MAY_1 + DAY, (at) => (at >= odd ? 30 * 60_000 : 0))).toEqual([
      { from: MAY_1, offsetMs: 0 },
      { from: odd, offsetMs: 30 * 60_000 },
    ]);
  });

  it('numbers local days, and lists every day a range touches', () => {
    const offsets = [{ from: 0, offsetMs: 2 * HOUR }];
    expect(dayKey(localDayNumber(MAY_1 + 21 * HOUR + 59 * 60_000, offsets))).toBe('2025-05-01');
    expect(dayKey(localDayNumber(MAY_1 + 22 * HOUR, offsets))).toBe('2025-05-02');
    const range = { since: MAY_1 - 2 * HOUR, until: MAY_1 + 2 * DAY - 2 * HOUR, offsets };
    expect(overviewDayNumbers(range).map(dayKey)).toEqual(['2025-05-01', '2025-05-02']);
    expect(overviewDayNumbers({ ...range, until: range.since })).toEqual([]);
  });

  it('writes the day as SQL with the latest step first', () => {
    const values: number[] = [];
    const sql = dayNumberSql('started_at', [{ from: 0, offsetMs: 3_600_000 }, { from: 500, offsetMs: 7_200_000 }], (v) => `$${values.push(v)}`);
    expect(sql).toBe('CAST((started_at + CASE WHEN started_at >= $1 THEN $2 ELSE $3 END) / 86400000 AS BIGINT)');
    expect(values).toEqual([500, 7_200_000, 3_600_000]);
  });

  describe('the range people ask for', () => {
    const now = Date.UTC(2025, 4, 20, 15, 0);

    it('is the last 30 local days, today included, without since or until', () => {
      const { range, problems } = parseOverviewRange({}, now);
      expect(problems).toEqual([]);
      expect(new Date(range.since).getHours()).toBe(0);
      expect(new Date(range.until).getHours()).toBe(0);
      expect(range.until).toBeGreaterThan(now);
      expect(overviewDayNumbers(range)).toHaveLength(30);
      expect(range.offsets[0].from).toBe(range.since);
    });

    it('reads dates as the list filter does: until includes its day', () => {
      const { range, problems } = parseOverviewRange({ since: '2025-05-01', until: '2025-05-03' }, now);
      expect(problems).toEqual([]);
      expect(range.since).toBe(new Date(2025, 4, 1).getTime());
      expect(range.until).toBe(new Date(2025, 4, 4).getTime());
      expect(parseOverviewRange({ since: '7d' }, now).range.since).toBe(now - 7 * DAY);
    });

    it('says what it cannot use, and falls back to the default', () => {
      expect(parseOverviewRange({ since: 'someday' }, now).problems).toEqual(['since: "someday" is not a date (try 2025-05-01, 24h or 7d)']);
      const backwards = parseOverviewRange({ since: '2025-05-10', until: '2025-05-01' }, now);
      expect(backwards.problems).toEqual(['since: must be before until']);
      expect(backwards.range).toEqual(parseOverviewRange({}, now).range);
      const long = parseOverviewRange({ since: '2020-01-01', until: '2025-05-01' }, now);
      expect(long.problems).toEqual(['the range is longer than 366 days: the overview shows at most a year']);
      expect(overviewDayNumbers(long.range)).toHaveLength(366);
      expect(long.range.until).toBe(new Date(2025, 4, 2).getTime());
    });
  });
});
