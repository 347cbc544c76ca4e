import type { CallCounts, Overview, OverviewDay, OverviewRangeInput, Percentiles } from '../store';
import { categoryChart, dailyChart, dataTable, shortDay, type DailyChart, type Series } from './charts';
import { describeCallEnd, formatCost, formatCount, formatDateTime, formatLatency } from './format';
import { html, type Html } from './html';
import { page } from './pages';

/** The calls at a glance: a pure renderer, an `Overview` in, the page out. */

export interface OverviewPageData {
  overview: Overview;
  input: OverviewRangeInput;
  problems: string[];
  /** The server's time zone (IANA name), which days are counted in. */
  timeZone: string;
  /** Now, for the quick ranges: whole local days up to today. */
  now: number;
}

export function overviewPath(input: OverviewRangeInput = {}): string {
  const query = new URLSearchParams(Object.entries(input).filter((e): e is [string, string] => typeof e[1] === 'string' && e[1] !== ''));
  return `/calls/overview${query.size ? `?${query}` : ''}`;
}

export function renderOverviewPage({ overview, input, problems, timeZone, now }: OverviewPageData): string {
  const { totals, days } = overview;
  return page(
    'Overview · Call records',
    html`<a class="back" href="/calls">← All calls</a>
<h1>Overview</h1>
<p class="muted overview-range">${describeRange(overview)}. Days are in ${timeZone}, the server's time zone, as every time
on these pages.</p>
${rangeForm(input, now)}
${problems.map((p) => html`<div class="alert" role="alert">${p}</div>`)}
${
  totals.calls === 0
    ? html`<section class="card empty overview-empty"><h2>No calls</h2><p>No call started in these ${days.length === 1 ? 'hours' : `${days.length} days`}. Try a longer range.</p></section>`
    : html`${summary(totals)}
${sections(overview)}`
}`,
    { signedIn: true },
  );
}

/** "Calls that started 2025-04-20 – 2025-05-20 (31 days)", with the times when the range is not whole days. */
function describeRange({ since, until, days }: Overview): Html {
  const wholeDays = isMidnight(since) && isMidnight(until);
  const from = wholeDays ? days[0]?.day : formatDateTime(since);
  const to = wholeDays ? days.at(-1)?.day : formatDateTime(until);
  const count = `${days.length} ${days.length === 1 ? 'day' : 'days'}`;
  return html`Calls that started <time datetime="${new Date(since).toISOString()}">${from}</time> – <time datetime="${new Date(until).toISOString()}">${to}</time>${wholeDays ? ` (${count})` : ''}`;
}

/** YYYY-MM-DD of the local day `days` from the one `at` is on: the quick ranges are whole days, today included. */
function localDate(at: number, days: number): string {
  const d = new Date(at);
  d.setDate(d.getDate() + days);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

function isMidnight(at: number): boolean {
  const d = new Date(at);
  return d.getHours() === 0 && d.getMinutes() === 0 && d.getSeconds() === 0 && d.getMilliseconds() === 0;
}

function rangeForm(input: OverviewRangeInput, now: number): Html {
  const date = (v: string | undefined) => (v && /^\d{4}-\d{2}-\d{2}$/.test(v.trim()) ? v.trim() : '');
  return html`<form class="card filters overview-filters" method="get" action="/calls/overview">
  <label>From <input type="date" name="since" value="${date(input.since)}"></label>
  <label>Until <input type="date" name="until" value="${date(input.until)}"></label>
  <div class="actions"><button type="submit">Show</button></div>
  <nav class="quick" aria-label="Ranges">${[7, 30, 90].map((d) => html`<a href="${overviewPath({ since: localDate(now, 1 - d) })}">Last ${d} days</a>`)}</nav>
</form>`;
}

function summary(t: CallCounts): Html {
  return html`<div class="stats overview-stats">
  ${stat('Calls', formatCount(t.calls), `${formatCount(t.connected)} reached the agent${t.open ? ` · ${formatCount(t.open)} still going` : ''}`)}
  ${stat('Talk time', formatMinutes(t.durationMs), 'answered to hang-up')}
  ${stat('Estimated cost', formatCost(t.costUsd), `${formatCost(t.connected ? t.costUsd / t.connected : 0)} a call`)}
  ${stat('First audio', formatLatency(t.firstAudioMs.p50 ?? undefined), `median · p90 ${formatLatency(t.firstAudioMs.p90 ?? undefined)}`)}
  ${stat('Reply time', formatLatency(t.replyMs.p50 ?? undefined), `median · p90 ${formatLatency(t.replyMs.p90 ?? undefined)}`)}
  ${stat('Barge-ins', formatRate(t.bargeInsPerCall), `a call · in ${formatShare(t.bargeInShare)} of calls`)}
  ${stat('Tool calls', formatCount(t.toolCalls), `in ${formatCount(t.callsWithToolCalls)} calls`)}
  ${stat('Transfers', formatCount(t.transfers), `${formatShare(t.connected ? t.transfers / t.connected : null)} of calls`)}
</div>`;
}

function stat(label: string, value: string, hint: string): Html {
  return html`<div class="card stat"><div class="label">${label}</div><div class="value">${value}</div><div class="hint">${hint}</div></div>`;
}

function sections(overview: Overview): Html {
  const { days } = overview;
  const keys = days.map((d) => d.day);
  const series = (label: string, tone: Series['tone'], pick: (d: OverviewDay) => number | null, dashed = false): Series => ({ label, tone, values: days.map(pick), dashed });
  const section = (title: string, chart: Html, table: Html) => html`<section class="card chart-card" aria-label="${title}">
<h2>${title}</h2>
<div class="chart-pair">${chart}${table}</div>
</section>`;
  const daily = (chart: Omit<DailyChart, 'days'>) => dailyChart({ ...chart, days: keys });
  const perDay = (caption: string, columns: string[], cells: (d: OverviewDay) => string[]) =>
    dataTable(caption, ['Day', ...columns], days.map((d) => ({ head: shortDay(d.day), cells: cells(d) })));
  const latency = (title: string, pick: (d: OverviewDay) => Percentiles, what: string) =>
    section(
      title,
      daily({
        id: title.toLowerCase().replace(/\W+/g, '-'),
        title: `${title} per day, median and 90th percentile`,
        kind: 'lines',
        series: [series('median', 'accent', (d) => pick(d).p50), series('p90', 'warn', (d) => pick(d).p90, true)],
        format: formatLatencyTick,
      }),
      perDay(`${title} per day`, [what, 'Median', 'p90'], (d) => [formatCount(pick(d).count), formatLatency(pick(d).p50 ?? undefined), formatLatency(pick(d).p90 ?? undefined)]),
    );
  const endingsTotal = overview.endings.reduce((sum, e) => sum + e.calls, 0);
  return html`<div class="overview-grid">
${section(
  'Calls',
  daily({
    id: 'calls',
    title: 'Calls per day: reached the agent, and never connected',
    kind: 'stacked',
    series: [series('reached the agent', 'accent', (d) => d.connected), series('never connected', 'faint', (d) => d.notConnected)],
    format: formatCount,
  }),
  perDay('Calls per day', ['Calls', 'Answered', 'Not connected', 'Open'], (d) => [d.calls, d.connected, d.notConnected, d.open].map(formatCount)),
)}
${section(
  'Talk time',
  daily({ id: 'minutes', title: 'Minutes talked per day', kind: 'stacked', series: [series('minutes', 'info', (d) => d.durationMs / 60_000)], format: formatMinutesTick }),
  perDay('Minutes talked per day', ['Minutes'], (d) => [formatMinutes(d.durationMs)]),
)}
${section(
  'Estimated cost',
  daily({ id: 'cost', title: 'Estimated cost per day, in US dollars', kind: 'stacked', series: [series('estimated', 'ok', (d) => d.costUsd)], format: formatCostTick }),
  perDay('Estimated cost per day', ['Cost'], (d) => [formatCost(d.costUsd)]),
)}
${latency('First audio', (d) => d.firstAudioMs, 'Calls')}
${latency('Reply time', (d) => d.replyMs, 'Replies')}
${section(
  'Barge-ins',
  daily({ id: 'barge-ins', title: 'Barge-ins per call that reached the agent, per day', kind: 'stacked', series: [series('a call', 'warn', (d) => d.bargeInsPerCall)], format: formatRateTick }),
  perDay('Barge-ins per day', ['Barge-ins', 'A call', 'Calls with one'], (d) => [formatCount(d.bargeIns), formatRate(d.bargeInsPerCall), formatShare(d.bargeInShare)]),
)}
${section(
  'Tool calls and transfers',
  daily({
    id: 'tools-per-day',
    title: 'Tool calls and transfers per day',
    kind: 'grouped',
    series: [series('tool calls', 'info', (d) => d.toolCalls), series('transfers', 'danger', (d) => d.transfers)],
    format: formatCount,
  }),
  perDay('Tool calls and transfers per day', ['Tool calls', 'Calls using tools', 'Transfers'], (d) => [d.toolCalls, d.callsWithToolCalls, d.transfers].map(formatCount)),
)}
${section(
  'How calls ended',
  categoryChart({
    id: 'endings',
    title: 'How calls ended',
    tone: 'accent',
    rows: overview.endings.map((e) => ({ label: describeEnding(e.ending), value: e.calls })),
    format: formatCount,
  }),
  dataTable(
    'How calls ended',
    ['Ending', 'Calls', 'Share'],
    overview.endings.map((e) => ({ head: describeEnding(e.ending), cells: [formatCount(e.calls), formatShare(e.calls / endingsTotal)] })),
  ),
)}
${
  overview.tools.length > 0
    ? section(
        'Tools used',
        categoryChart({ id: 'tools', title: 'Tool calls by tool', tone: 'info', rows: overview.tools.map((t) => ({ label: t.name, value: t.calls })), format: formatCount }),
        dataTable('Tool calls by tool', ['Tool', 'Calls'], overview.tools.map((t) => ({ head: t.name, cells: [formatCount(t.calls)] }))),
      )
    : ''
}
</div>`;
}

/** As the list says it: an end reason, or for calls that never reached the agent Twilio's outcome. */
function describeEnding(ending: string): string {
  return describeCallEnd({ endReason: ending });
}

function formatMinutes(ms: number): string {
  const minutes = ms / 60_000;
  return `${minutes < 10 && minutes > 0 ? minutes.toFixed(1) : formatCount(Math.round(minutes))} min`;
}

function formatMinutesTick(minutes: number): string {
  return formatCount(Number(minutes.toPrecision(3)));
}

function formatCostTick(usd: number): string {
  return usd === 0 ? '$0' : usd < 1 ? `$${Number(usd.toPrecision(2))}` : `$${formatCount(Number(usd.toPrecision(3)))}`;
}

function formatLatencyTick(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${Number((ms / 1000).toPrecision(3))} s`;
}

function formatRate(rate: number | null): string {
  return rate === null ? '–' : rate.toFixed(2);
}

function formatRateTick(rate: number): string {
  return String(Number(rate.toPrecision(3)));
}

function formatShare(share: number | null): string {
  return share === null ? '–' : `${Math.round(share * 100)}%`;
}
