import { html, type Html } from './html';

/**
 * Server-rendered SVG charts for pages that run no script: pure, data in, markup out. Colours come from the page's
 * stylesheet (chart classes in styles.ts), so they follow light and dark mode. Each chart is drawn twice, wide and
 * narrow, and the stylesheet shows the one that fits: SVG text scales with its picture, so one drawing cannot be
 * legible both on a desktop and on a phone. The numbers themselves are in a table beside each chart.
 */

export type Tone = 'accent' | 'faint' | 'warn' | 'info' | 'ok' | 'danger';

export interface Series {
  label: string;
  tone: Tone;
  /** One per day; null where there is nothing to show (no calls measured). */
  values: Array<number | null>;
  /** Dashed line (lines only). */
  dashed?: boolean;
}

export interface DailyChart {
  /** An id unique on the page (for the SVG's title). */
  id: string;
  /** What the chart shows, read by screen readers as the picture's name. */
  title: string;
  /** YYYY-MM-DD, one per value. */
  days: string[];
  series: Series[];
  /** `stacked` bars add up; `grouped` bars stand side by side; `lines` join a day's points to the next day's. */
  kind: 'stacked' | 'grouped' | 'lines';
  /** Axis and title numbers. */
  format: (value: number) => string;
}

export interface Geometry {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
  /** At least this far apart, day labels. */
  labelSpacing: number;
}

export const WIDE: Geometry = { width: 640, height: 220, left: 52, right: 10, top: 12, bottom: 26, labelSpacing: 64 };
export const NARROW: Geometry = { width: 340, height: 210, left: 46, right: 8, top: 12, bottom: 26, labelSpacing: 58 };

/** An axis from 0 to a round number at or above `max`, in about `count` round steps. */
export function niceScale(max: number, count = 4): number[] {
  if (!(max > 0)) return [0, 1];
  const rough = max / count;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= rough) ?? 10 * magnitude;
  const ticks: number[] = [];
  for (let i = 0; ; i++) {
    const tick = Number((i * step).toPrecision(12));
    ticks.push(tick);
    if (tick >= max) return ticks;
  }
}

/** Which days get a label: every k-th from the first, so that labels are at least `spacing` apart. */
export function labelledDays(days: number, bandWidth: number, spacing: number): number[] {
  const every = Math.max(1, Math.ceil(spacing / Math.max(bandWidth, 1e-9)));
  return Array.from({ length: Math.ceil(days / every) }, (_, i) => i * every);
}

export interface Bar {
  day: number;
  series: number;
  x: number;
  y: number;
  width: number;
  height: number;
  value: number;
}

export interface Point {
  day: number;
  series: number;
  x: number;
  y: number;
  value: number;
}

export interface DailyLayout {
  ticks: Array<{ value: number; y: number }>;
  labels: Array<{ day: number; x: number }>;
  bars: Bar[];
  /** Each series' runs of consecutive days with values: a line each (a missing day breaks it). */
  lines: Array<{ series: number; points: Point[] }>;
  points: Point[];
  /** Centre of each day's band. */
  centres: number[];
}

/** Where everything of a daily chart goes, in the geometry's units. */
export function layoutDaily(chart: Pick<DailyChart, 'days' | 'series' | 'kind'>, g: Geometry): DailyLayout {
  const n = chart.days.length;
  const plotWidth = g.width - g.left - g.right;
  const plotHeight = g.height - g.top - g.bottom;
  const band = n > 0 ? plotWidth / n : plotWidth;
  const dayTotals = chart.days.map((_, d) =>
    chart.kind === 'stacked'
      ? chart.series.reduce((sum, s) => sum + (s.values[d] ?? 0), 0)
      : Math.max(0, ...chart.series.map((s) => s.values[d] ?? 0)),
  );
  const scale = niceScale(Math.max(0, ...dayTotals));
  const top = scale[scale.length - 1];
  const yOf = (value: number) => g.top + plotHeight - (value / top) * plotHeight;
  const centres = chart.days.map((_, d) => g.left + band * (d + 0.5));

  const bars: Bar[] = [];
  if (chart.kind !== 'lines') {
    const groupWidth = Math.max(1, band * 0.72);
    chart.days.forEach((_, d) => {
      let base = 0;
      chart.series.forEach((s, i) => {
        const value = s.values[d];
        if (value === null || value <= 0) return;
        const width = chart.kind === 'grouped' ? groupWidth / chart.series.length : groupWidth;
        const x = centres[d] - groupWidth / 2 + (chart.kind === 'grouped' ? i * width : 0);
        const from = chart.kind === 'stacked' ? base : 0;
        const y = yOf(from + value);
        bars.push({ day: d, series: i, x, y, width, height: yOf(from) - y, value });
        if (chart.kind === 'stacked') base += value;
      });
    });
  }

  const points: Point[] = [];
  const lines: DailyLayout['lines'] = [];
  if (chart.kind === 'lines') {
    chart.series.forEach((s, i) => {
      let run: Point[] = [];
      s.values.forEach((value, d) => {
        if (value === null) {
          if (run.length) lines.push({ series: i, points: run });
          run = [];
          return;
        }
        const point = { day: d, series: i, x: centres[d], y: yOf(value), value };
        points.push(point);
        run.push(point);
      });
      if (run.length) lines.push({ series: i, points: run });
    });
  }

  return {
    ticks: scale.map((value) => ({ value, y: yOf(value) })),
    labels: labelledDays(n, band, g.labelSpacing).map((day) => ({ day, x: centres[day] })),
    bars,
    lines,
    points,
    centres,
  };
}

/** "May 3" for 2025-05-03. */
export function shortDay(day: string): string {
  return new Date(`${day}T00:00:00Z`).toLocaleDateString('en-US', { month: 'short', day: 'numeric', timeZone: 'UTC' });
}

const round = (n: number) => Number(n.toFixed(1));

function dailySvg(chart: DailyChart, g: Geometry, variant: string): Html {
  const layout = layoutDaily(chart, g);
  const titleId = `${chart.id}-${variant}-title`;
  const what = (series: number, day: number, value: number) => `${shortDay(chart.days[day])}: ${chart.format(value)} ${chart.series[series].label}`;
  return html`<svg class="chart chart-${variant}" viewBox="0 0 ${g.width} ${g.height}" role="img" aria-labelledby="${titleId}" preserveAspectRatio="xMidYMid meet">
<title id="${titleId}">${chart.title}</title>
${layout.ticks.map(
  (t) => html`<line class="grid" x1="${g.left}" x2="${g.width - g.right}" y1="${round(t.y)}" y2="${round(t.y)}"></line><text class="tick" x="${g.left - 6}" y="${round(t.y)}" dy="0.32em" text-anchor="end">${chart.format(t.value)}</text>`,
)}
${layout.labels.map((l) => html`<text class="tick" x="${round(l.x)}" y="${g.height - 8}" text-anchor="middle">${shortDay(chart.days[l.day])}</text>`)}
${layout.bars.map(
  (b) => html`<rect class="bar tone-${chart.series[b.series].tone}" data-day="${chart.days[b.day]}" x="${round(b.x)}" y="${round(b.y)}" width="${round(b.width)}" height="${round(b.height)}"><title>${what(b.series, b.day, b.value)}</title></rect>`,
)}
${layout.lines.map((line) => {
  const s = chart.series[line.series];
  return html`<polyline class="line tone-${s.tone}${s.dashed ? ' dashed' : ''}" points="${line.points.map((p) => `${round(p.x)},${round(p.y)}`).join(' ')}"></polyline>`;
})}
${layout.points.map(
  (p) => html`<circle class="point tone-${chart.series[p.series].tone}" data-day="${chart.days[p.day]}" cx="${round(p.x)}" cy="${round(p.y)}" r="3"><title>${what(p.series, p.day, p.value)}</title></circle>`,
)}
</svg>`;
}

/** A daily chart, wide and narrow, with its legend. */
export function dailyChart(chart: DailyChart): Html {
  return html`<div class="chart-box">
${chart.series.length > 1 ? legend(chart.series) : ''}
${dailySvg(chart, WIDE, 'wide')}
${dailySvg(chart, NARROW, 'narrow')}
</div>`;
}

function legend(series: Series[]): Html {
  return html`<ul class="legend">${series.map((s) => html`<li><span class="swatch tone-${s.tone}${s.dashed ? ' dashed' : ''}"></span>${s.label}</li>`)}</ul>`;
}

export interface CategoryChart {
  id: string;
  title: string;
  rows: Array<{ label: string; value: number }>;
  tone: Tone;
  format: (value: number) => string;
}

const ROW_HEIGHT = 24;

/** Horizontal bars, one per category: its label, its bar, its number. */
export function layoutCategories(chart: Pick<CategoryChart, 'rows'>, g: { width: number; labelWidth: number; valueWidth: number }) {
  const max = Math.max(0, ...chart.rows.map((r) => r.value));
  const room = g.width - g.labelWidth - g.valueWidth;
  return chart.rows.map((row, i) => ({
    ...row,
    y: i * ROW_HEIGHT + 4,
    width: max > 0 ? Math.max(row.value > 0 ? 1 : 0, (row.value / max) * room) : 0,
  }));
}

function categorySvg(chart: CategoryChart, g: { width: number; labelWidth: number; valueWidth: number }, variant: string): Html {
  const rows = layoutCategories(chart, g);
  const height = rows.length * ROW_HEIGHT + 8;
  const titleId = `${chart.id}-${variant}-title`;
  return html`<svg class="chart chart-${variant}" viewBox="0 0 ${g.width} ${height}" role="img" aria-labelledby="${titleId}">
<title id="${titleId}">${chart.title}</title>
${rows.map(
  (r) => html`<text class="label" x="${g.labelWidth - 8}" y="${r.y + ROW_HEIGHT / 2 - 2}" dy="0.32em" text-anchor="end">${clip(r.label, Math.floor(g.labelWidth / 7))}</text><rect class="bar tone-${chart.tone}" x="${g.labelWidth}" y="${r.y + 3}" width="${round(r.width)}" height="${ROW_HEIGHT - 10}"><title>${r.label}: ${chart.format(r.value)}</title></rect><text class="value" x="${round(g.labelWidth + r.width + 6)}" y="${r.y + ROW_HEIGHT / 2 - 2}" dy="0.32em">${chart.format(r.value)}</text>`,
)}
</svg>`;
}

/** A category chart, wide and narrow. */
export function categoryChart(chart: CategoryChart): Html {
  return html`<div class="chart-box">
${categorySvg(chart, { width: 640, labelWidth: 170, valueWidth: 70 }, 'wide')}
${categorySvg(chart, { width: 340, labelWidth: 130, valueWidth: 56 }, 'narrow')}
</div>`;
}

function clip(text: string, chars: number): string {
  return text.length <= chars ? text : `${text.slice(0, chars - 1)}…`;
}

/** The chart's numbers as a table: a caption, column headers, a header per row. */
export function dataTable(caption: string, columns: string[], rows: Array<{ head: string; cells: string[] }>): Html {
  return html`<div class="chart-table" role="region" aria-label="${caption}" tabindex="0"><table>
<caption>${caption}</caption>
<thead><tr>${columns.map((c) => html`<th scope="col">${c}</th>`)}</tr></thead>
<tbody>${rows.map((r) => html`<tr><th scope="row">${r.head}</th>${r.cells.map((c) => html`<td>${c}</td>`)}</tr>`)}</tbody>
</table></div>`;
}
