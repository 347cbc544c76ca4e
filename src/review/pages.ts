import { CALL_OUTCOMES, DIRECTIONS, END_REASONS, type CallAnalysis, type WebhookDelivery, type CallDetail, type CallEvent, type CallSummary, type FilterInput, type Turn } from '../store';
import {
  describeCallEnd,
  describeEndReason,
  describeInterruption,
  formatCost,
  formatCount,
  formatDateTime,
  formatDuration,
  formatLatency,
  formatOffset,
  summarizeLatencies,
} from './format';
import { html, trustedHtml, type Html } from './html';
import { analysisFilterInputs, analysisSection, totalCostUsd, webhooksSection } from './insights';
import { STYLES } from './styles';
import { renderTimeline } from './timeline';

/** Pure renderers: data in, a whole HTML document out. Every value goes through `html`, so all of it is escaped. */

function callPath(callSid: string): string {
  return `/calls/${encodeURIComponent(callSid)}`;
}

export function recordingPath(callSid: string): string {
  return `/api/calls/${encodeURIComponent(callSid)}/recording`;
}

/** A whole page in the review layout; `scripts` are our own static files (pages without them run no script). */
export function page(title: string, body: Html, options: { signedIn: boolean; scripts?: string[] }): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>${title}</title>
<style>${trustedHtml(STYLES)}</style>
${(options.scripts ?? []).map((src) => html`<script src="${src}" defer></script>`)}
</head>
<body>
<header class="top"><div class="wrap inner">
  <a class="brand" href="/calls"><span class="dot"></span>Call records</a>
  ${
    options.signedIn
      ? html`<nav class="top-nav"><a href="/calls/overview">Overview</a><a href="/phone">Softphone</a><form method="post" action="/calls/logout"><button class="quiet" type="submit">Sign out</button></form></nav>`
      : ''
  }
</div></header>
<main class="wrap">
${body}
</main>
</body>
</html>
`.value;
}

export function renderSignInPage(options: { next: string; error?: string }): string {
  return page(
    'Sign in · Call records',
    html`<section class="card signin">
  <h1>Sign in</h1>
  <p>Enter the admin token: <span class="mono">ADMIN_TOKEN</span>, or the token in the sign-in link the server
  printed when it started.</p>
  ${options.error ? html`<div class="alert" role="alert">${options.error}</div>` : ''}
  <form method="post" action="/calls/login">
    <input type="hidden" name="next" value="${options.next}">
    <label>Admin token <input type="password" name="token" autocomplete="current-password" required autofocus></label>
    <button type="submit">Sign in</button>
  </form>
</section>`,
    { signedIn: false },
  );
}

export function renderNotFoundPage(callSid: string): string {
  return page(
    'Not found · Call records',
    html`<a class="back" href="/calls">← All calls</a>
<section class="card empty"><h1>No such call</h1><p>There is no record of <span class="mono">${callSid}</span>.
It may have been deleted by the retention policy.</p></section>`,
    { signedIn: true },
  );
}

const REASON_TONE: Record<string, string> = {
  'caller-hung-up': 'ok',
  'agent-ended': 'ok',
  transferred: 'info',
  'answering-machine': 'info',
  'max-duration': 'warn',
  'idle-timeout': 'warn',
  'server-shutdown': 'warn',
  'model-error': 'bad',
  'protocol-error': 'bad',
  crashed: 'bad',
  error: 'bad',
};

/** Calls that never reached the agent. */
const OUTCOME_TONE: Record<string, string> = { completed: 'ok', busy: 'warn', 'no-answer': 'warn', canceled: 'warn', failed: 'bad' };

function endBadge(call: Pick<CallSummary, 'endReason' | 'outcome'>): Html {
  const tone = call.endReason === undefined ? (OUTCOME_TONE[call.outcome ?? ''] ?? 'live') : (REASON_TONE[call.endReason] ?? '');
  return html`<span class="badge ${tone}">${describeCallEnd(call)}</span>`;
}

export interface ListPageData {
  calls: CallSummary[];
  input: FilterInput;
  problems: string[];
  limit: number;
}

export function renderListPage({ calls, input, problems, limit }: ListPageData): string {
  const filtered = Object.values(input).some((v) => v !== undefined && v.trim() !== '');
  const totalCost = calls.reduce((sum, c) => sum + totalCostUsd(c), 0);
  const totalMs = calls.reduce((sum, c) => sum + (c.durationMs ?? 0), 0);
  const reasonOptions = END_REASONS.map(
    (r) => html`<option value="${r}"${r === input.reason ? html` selected` : ''}>${describeEndReason(r)}</option>`,
  );
  const directionOptions = DIRECTIONS.map((d) => html`<option value="${d}"${d === input.direction ? html` selected` : ''}>${d}</option>`);
  const outcomeOptions = CALL_OUTCOMES.map(
    (o) => html`<option value="${o}"${o === input.outcome ? html` selected` : ''}>${o.replace(/-/g, ' ')}</option>`,
  );
  return page(
    'Calls · Call records',
    html`<h1>Calls</h1>
<form class="card filters" method="get" action="/calls" role="search">
  <label class="search">Search <input type="search" name="search" value="${input.search ?? ''}" placeholder="Words, a number or a call SID"></label>
  <label>Number <input type="text" name="number" value="${input.number ?? ''}" placeholder="+1 555…" inputmode="tel"></label>
  <label>Ended <select name="reason"><option value="">Any way</option>${reasonOptions}</select></label>
  <label>Direction <select name="direction"><option value="">Both ways</option>${directionOptions}</select></label>
  <label>Outcome <select name="outcome"><option value="">Any</option>${outcomeOptions}</select></label>
  ${analysisFilterInputs(input)}
  <label>From <input type="date" name="since" value="${dateValue(input.since)}"></label>
  <label>Until <input type="date" name="until" value="${dateValue(input.until)}"></label>
  <div class="actions"><button type="submit">Filter</button>${filtered ? html`<a href="/calls">Clear</a>` : ''}</div>
</form>
${problems.map((p) => html`<div class="alert" role="alert">${p}</div>`)}
<div class="summary-line">
  <span><strong class="num">${formatCount(calls.length)}</strong> ${calls.length === 1 ? 'call' : 'calls'}${
    calls.length >= limit ? html` <span>(the newest ${limit}; narrow the filters to see older ones)</span>` : ''
  }</span>
  <span><strong class="num">${formatDuration(totalMs)}</strong> talked</span>
  <span><strong class="num">${formatCost(totalCost)}</strong> estimated</span>
</div>
<section class="card">
${
  calls.length === 0
    ? html`<div class="empty">${filtered ? 'No calls match these filters.' : 'No calls yet. They appear here as they happen.'}</div>`
    : html`<table class="calls">
  <thead><tr><th>Caller</th><th class="when">When</th><th>Length</th><th class="wide right">Turns</th><th class="wide right">Barge-ins</th><th class="wide right">Cost</th><th>Ended</th></tr></thead>
  <tbody>${calls.map(listRow)}</tbody>
</table>`
}
</section>`,
    { signedIn: true },
  );
}

function listRow(call: CallSummary): Html {
  return html`<tr>
  <td><a class="row-link" href="${callPath(call.callSid)}">${call.from || 'unknown'}</a><span class="sub"><span class="narrow">${formatDateTime(call.startedAt)} · </span>to ${call.to || 'unknown'} · ${call.direction}</span></td>
  <td class="when num">${formatDateTime(call.startedAt)}</td>
  <td class="num">${formatDuration(call.durationMs)}</td>
  <td class="wide right num">${call.turnCount}</td>
  <td class="wide right num">${call.bargeIns}</td>
  <td class="wide right num">${formatCost(totalCostUsd(call))}</td>
  <td>${endBadge(call)}</td>
</tr>`;
}

/** `<input type=date>` wants YYYY-MM-DD; other forms (7d, ISO times) stay in the query but not in the box. */
function dateValue(value: string | undefined): string {
  return value && /^\d{4}-\d{2}-\d{2}$/.test(value.trim()) ? value.trim() : '';
}

export function renderCallPage(call: CallDetail, options: { hasRecording: boolean; analysis?: CallAnalysis; deliveries?: WebhookDelivery[] }): string {
  const start = call.answeredAt;
  const latency = summarizeLatencies(call.turnLatenciesMs);
  const { transcriptionSeconds: _seconds, ...tokens } = call.usage;
  const totalTokens = Object.values(tokens).reduce((a, b) => a + b, 0);
  return page(
    `${call.from} · ${formatDateTime(call.startedAt)} · Call records`,
    html`<a class="back" href="/calls">← All calls</a>
<div class="call-head">
  <div>
    <h1>${call.from || 'unknown'}<span class="arrow">→</span>${call.to || 'unknown'}</h1>
    <div class="meta">
      <time datetime="${new Date(call.startedAt).toISOString()}">${formatDateTime(call.startedAt)}</time>
      <span class="sep">·</span><span>${call.direction}</span>
      <span class="sep">·</span><span>${call.personaName}</span>
      ${endBadge(call)}
    </div>
  </div>
</div>
<div class="stats">
  ${stat('Length', formatDuration(call.durationMs), call.endedAt === undefined ? 'still going' : describeCallEnd(call))}
  ${stat('First audio', formatLatency(call.firstAudioMs), 'answer → agent speaks')}
  ${stat(
    'Reply time',
    formatLatency(latency?.median),
    latency ? `median · max ${formatLatency(latency.max)}` : 'no replies',
  )}
  ${stat('Barge-ins', String(call.bargeIns), call.bargeIns === 1 ? 'caller cut in once' : 'caller cut in')}
  ${stat('Cost', formatCost(totalCostUsd(call)), `${formatCount(totalTokens)} tokens${call.analysis ? ` · analysis ${formatCost(call.analysis.costUsd)}` : ''}`)}
</div>
${
  options.hasRecording
    ? html`<section class="card player">
  <audio controls preload="metadata" src="${recordingPath(call.callSid)}"></audio>
  <span class="legend">Caller left · agent right · <a href="${recordingPath(call.callSid)}?download=1" download>Download WAV</a></span>
</section>`
    : ''
}
${analysisSection(options.analysis)}
${renderTimeline(call, { recordingUrl: options.hasRecording ? recordingPath(call.callSid) : undefined })}
<h2>Transcript</h2>
<section class="card transcript" aria-label="Transcript">
${call.transcript.length === 0 ? html`<div class="empty">Nothing was said.</div>` : call.transcript.map((t) => turnBubble(t, start))}
</section>
<h2>Events</h2>
<section class="card">
${
  call.events.length === 0
    ? html`<div class="empty">No events.</div>`
    : html`<ol class="timeline">${call.events.map((e) => eventItem(e, start))}</ol>`
}
</section>
${webhooksSection(options.deliveries ?? [])}
<div class="columns">
  <div>
    <h2>Tokens</h2>
    <section class="card">${tokenTable(call)}</section>
  </div>
  <div>
    <h2>Details</h2>
    <section class="card">${facts(call)}</section>
  </div>
</div>`,
    { signedIn: true },
  );
}

function stat(label: string, value: string, hint: string): Html {
  return html`<div class="card stat"><div class="label">${label}</div><div class="value">${value}</div><div class="hint">${hint}</div></div>`;
}

function turnBubble(turn: Turn, start: number): Html {
  const agent = turn.role === 'agent';
  return html`<div class="turn ${turn.role}${turn.interrupted ? ' interrupted' : ''}">
  <div class="who"><strong>${agent ? 'Agent' : 'Caller'}</strong><time class="num">${formatOffset(turn.at - start)}</time>${
    agent && turn.latencyMs !== undefined ? html`<span>replied in ${formatLatency(turn.latencyMs)}</span>` : ''
  }</div>
  <div class="bubble">${turn.text || '…'}${
    turn.interrupted ? html`<span class="cut">— ${describeInterruption(turn.heardMs, turn.spokenMs)}</span>` : ''
  }</div>
</div>`;
}

function eventItem(event: CallEvent, start: number): Html {
  const tone = event.type === 'error' ? 'bad' : event.type === 'warning' || event.type === 'barge-in' ? 'warn' : 'info';
  return html`<li>
  <time class="num">${formatOffset(event.at - start)}</time>
  <div class="what"><span class="badge ${tone}">${event.type}</span><span>${event.summary}</span></div>
  ${
    event.detail && Object.keys(event.detail).length > 0
      ? html`<details><summary>details</summary><pre class="mono">${JSON.stringify(event.detail, null, 2)}</pre></details>`
      : ''
  }
</li>`;
}

function tokenTable(call: CallDetail): Html {
  const u = call.usage;
  const rows: Array<[string, number]> = [
    ['Audio in', u.audioIn],
    ['Audio in, cached', u.audioInCached],
    ['Text in', u.textIn],
    ['Text in, cached', u.textInCached],
    ['Audio out', u.audioOut],
    ['Text out', u.textOut],
    ['Transcription', u.transcription],
  ];
  return html`<table class="tokens"><tbody>
${rows.map(([kind, n]) => html`<tr><td>${kind}</td><td class="num">${formatCount(n)}</td></tr>`)}
${call.analysis ? html`<tr><td>Analysis</td><td class="num">${formatCost(call.analysis.costUsd)}</td></tr>` : ''}
<tr class="total"><td>Estimated cost</td><td class="num">${formatCost(totalCostUsd(call))}</td></tr>
</tbody></table>`;
}

function facts(call: CallDetail): Html {
  const rows: Array<[string, string | undefined]> = [
    ['Call SID', call.callSid],
    ['Stream SID', call.streamSid],
    ['Started', formatDateTime(call.startedAt, true)],
    ['Answered', formatDateTime(call.answeredAt, true)],
    ['Ended', call.endedAt === undefined ? undefined : formatDateTime(call.endedAt, true)],
    ['Model', call.model],
    ['Voice', call.voice],
    ['Persona', call.personaName],
    ['Audio', call.audioMode],
  ];
  return html`<dl class="facts">${rows
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => html`<dt>${k}</dt><dd class="${k.endsWith('SID') ? 'mono' : ''}">${v}</dd>`)}</dl>`;
}
