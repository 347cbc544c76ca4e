import { categoryChart, dailyChart, dataTable, labelledDays, layoutCategories, layoutDaily, niceScale, shortDay, WIDE } from '../../src/review/charts';

const DAYS = ['2025-05-01', '2025-05-02', '2025-05-03', '2025-05-04'];

describe('charts', () => {
  it('runs an axis from 0 to a round number at or above the largest value', () => {
    expect(niceScale(7)).toEqual([0, 2, 4, 6, 8]);
    expect(niceScale(10)).toEqual([0, 2.5, 5, 7.5, 10]);
    expect(niceScale(0.37)).toEqual([0, 0.1, 0.2, 0.3, 0.4]);
    expect(niceScale(1234)).toEqual([0, 500, 1000, 1500]);
    expect(niceScale(0)).toEqual([0, 1]);
  });

  it('labels every k-th day so labels never crowd', () => {
    expect(labelledDays(30, 19, 64)).toEqual([0, 4, 8, 12, 16, 20, 24, 28]);
    expect(labelledDays(3, 190, 64)).toEqual([0, 1, 2]);
  });

  it('stacks bars of a day on each other, on the axis of the largest day', () => {
    const layout = layoutDaily({ days: DAYS, kind: 'stacked', series: [{ label: 'a', tone: 'accent', values: [4, 0, 2, 1] }, { label: 'b', tone: 'faint', values: [1, 3, null, 0] }] }, WIDE);
    expect(layout.ticks.map((t) => t.value)).toEqual([0, 2, 4, 6]);
    // Zero and missing values draw nothing.
    expect(layout.bars.map((b) => [b.day, b.series, b.value])).toEqual([
      [0, 0, 4],
      [0, 1, 1],
      [1, 1, 3],
      [2, 0, 2],
      [3, 0, 1],
    ]);
    const [a, b] = layout.bars;
    expect(b.y + b.height).toBeCloseTo(a.y); // b sits on a
    expect(a.x).toBe(b.x);
    const plotBottom = WIDE.height - WIDE.bottom;
    expect(a.y + a.height).toBeCloseTo(plotBottom);
    expect(a.height).toBeCloseTo((4 / 6) * (plotBottom - WIDE.top));
  });

  it('puts grouped bars side by side', () => {
    const layout = layoutDaily({ days: DAYS.slice(0, 1), kind: 'grouped', series: [{ label: 'a', tone: 'info', values: [4] }, { label: 'b', tone: 'danger', values: [2] }] }, WIDE);
    const [a, b] = layout.bars;
    expect(b.x).toBeCloseTo(a.x + a.width);
    expect(a.y + a.height).toBeCloseTo(b.y + b.height);
  });

  it('breaks a line where a day has no value', () => {
    const layout = layoutDaily({ days: DAYS, kind: 'lines', series: [{ label: 'median', tone: 'accent', values: [500, 600, null, 700] }] }, WIDE);
    expect(layout.lines.map((l) => l.points.map((p) => p.day))).toEqual([[0, 1], [3]]);
    expect(layout.points).toHaveLength(3);
    expect(layout.bars).toEqual([]);
  });

  it('draws each chart wide and narrow, every bar with its day and value, and escapes what it is given', () => {
    const markup = dailyChart({ id: 'calls', title: 'Calls <per> day', days: DAYS, kind: 'stacked', series: [{ label: 'calls', tone: 'accent', values: [1, 2, 3, 4] }], format: String }).value;
    expect(markup.match(/<svg class="chart chart-wide"/g)).toHaveLength(1);
    expect(markup.match(/<svg class="chart chart-narrow"/g)).toHaveLength(1);
    expect(markup.match(/<rect class="bar tone-accent" data-day="2025-05-03"/g)).toHaveLength(2);
    expect(markup).toContain('<title>May 3: 3 calls</title>');
    expect(markup).toContain('Calls &lt;per&gt; day');
    expect(shortDay('2025-12-31')).toBe('Dec 31');
  });

  it('sizes category bars to the largest', () => {
    const rows = layoutCategories({ rows: [{ label: 'a', value: 10 }, { label: 'b', value: 5 }, { label: 'c', value: 0 }] }, { width: 640, labelWidth: 170, valueWidth: 70 });
    expect(rows.map((r) => r.width)).toEqual([400, 200, 0]);
    expect(categoryChart({ id: 'e', title: 'Endings', tone: 'accent', rows: [{ label: 'caller hung up', value: 3 }], format: String }).value).toContain('<title>caller hung up: 3</title>');
  });

  it('gives the numbers as a table with a caption and headers for columns and rows', () => {
    const markup = dataTable('Calls per day', ['Day', 'Calls'], [{ head: 'May 1', cells: ['4'] }]).value;
    expect(markup).toContain('<caption>Calls per day</caption>');
    expect(markup).toContain('<th scope="col">Calls</th>');
    expect(markup).toContain('<tr><th scope="row">May 1</th><td>4</td></tr>');
  });
});
