import type { CallDetail, Turn } from '../store';
import { formatOffset, formatSeconds } from './format';
import { html, type Html } from './html';

/**
 * A call on a time axis: who spoke when (a lane each for the caller and the agent), where they talked over each
 * other, each barge-in at the point the caller heard the agent cut, tool calls and transfers, and long silences.
 * Pure: a call record in, SVG markup out (no script). Times are ms since the call was answered, which is where the
 * recording's clock starts too, so each point can link to the recording at that moment (a media fragment).
 *
 * What the record knows, and what is derived:
 * - An agent turn starts when its first audio was sent (`at`) and lasts what the caller heard (`heardMs`, from
 *   Twilio's playback marks); an interrupted one was produced for `spokenMs`, the rest never played. Audio queued
 *   behind earlier audio starts a little after `at`: the lane shows when it was sent.
 * - A caller turn starts when the caller started speaking (`at`). Its end is not recorded: when the agent's next
 *   turn replied to it, its end is that turn's start less its reply latency (the latency is measured from the end of
 *   the caller's speech); otherwise it is ESTIMATED from its words at a phone pace, and drawn as an estimate.
 */

export interface Span {
  from: number;
  to: number;
}

export interface Speech extends Span {
  role: Turn['role'];
  text: string;
  /** The end is a guess from the words, not a measurement. */
  estimated: boolean;
  interrupted: boolean;
  /** An interrupted agent turn: where the audio it produced would have ended, had it all played. */
  producedTo?: number;
}

export type MarkerKind = 'barge-in' | 'tool' | 'transfer' | 'end';

export interface Marker {
  at: number;
  kind: MarkerKind;
  label: string;
}

export interface TimelineLayout {
  durationMs: number;
  speech: Speech[];
  overlaps: Span[];
  silences: Span[];
  markers: Marker[];
}

/** Silences at least this long are marked: a pause in conversation is shorter. */
export const SILENCE_MS = 3000;
/** How fast people talk on the phone, for a caller turn whose end was not measured. */
const WORDS_PER_SECOND = 2.6;
const SHORTEST_GUESS_MS = 600;

type TimelineCall = Pick<CallDetail, 'answeredAt' | 'endedAt' | 'endReason' | 'transcript' | 'events'>;

/** Where everything of the call goes on its time axis. */
export function layoutTimeline(call: TimelineCall): TimelineLayout {
  const start = call.answeredAt;
  const turns = call.transcript.map((turn) => ({ ...turn, from: Math.max(0, turn.at - start) }));
  const speech: Speech[] = turns.map((turn, i) => {
    const base = { role: turn.role, text: turn.text, interrupted: turn.interrupted, from: turn.from };
    if (turn.role === 'agent') {
      if (turn.heardMs !== undefined) {
        const produced = turn.spokenMs !== undefined && turn.spokenMs > turn.heardMs ? { producedTo: turn.from + turn.spokenMs } : {};
        return { ...base, to: turn.from + turn.heardMs, estimated: false, ...produced };
      }
      return { ...base, to: turn.from + spokenGuess(turn.text), estimated: true };
    }
    // The turn that answered this one: the next in time, if it is the agent's and knows its latency.
    const next = turns.filter((t, j) => j !== i && (t.from > turn.from || (t.from === turn.from && j > i))).sort((a, b) => a.from - b.from)[0];
    if (next?.role === 'agent' && next.latencyMs !== undefined && next.from - next.latencyMs > turn.from) {
      return { ...base, to: next.from - next.latencyMs, estimated: false };
    }
    const nextCaller = turns.filter((t) => t.role === 'caller' && t.from > turn.from).map((t) => t.from);
    return { ...base, to: Math.min(turn.from + spokenGuess(turn.text), ...nextCaller), estimated: true };
  });

  const markers = eventMarkers(call, turns, start);
  const lastSpeech = Math.max(0, ...speech.map((s) => s.to));
  const lastMarker = Math.max(0, ...markers.map((m) => m.at));
  const ended = call.endedAt === undefined ? 0 : call.endedAt - start;
  const durationMs = Math.max(1000, ended, lastSpeech, lastMarker);
  if (call.endedAt !== undefined && call.endReason !== undefined) {
    markers.push({ at: ended, kind: call.endReason === 'transferred' ? 'transfer' : 'end', label: call.endReason === 'transferred' ? 'transferred' : `ended: ${call.endReason.replace(/-/g, ' ')}` });
  }

  const caller = speech.filter((s) => s.role === 'caller');
  const agent = speech.filter((s) => s.role === 'agent');
  return {
    durationMs,
    speech,
    overlaps: mergeSpans(caller.flatMap((c) => agent.flatMap((a) => intersect(c, a)))),
    silences: gaps(mergeSpans(speech), durationMs).filter((gap) => gap.to - gap.from >= SILENCE_MS),
    markers: markers.sort((a, b) => a.at - b.at),
  };
}

function spokenGuess(text: string): number {
  const words = text.trim() ? text.trim().split(/\s+/).length : 0;
  return Math.max(SHORTEST_GUESS_MS, Math.round((words / WORDS_PER_SECOND) * 1000));
}

/**
 * Barge-ins at the point the caller heard the agent cut (the interrupted turn's start plus what was heard of it;
 * the event itself is logged when the interruption is handled), tool calls and transfers where they happened.
 */
function eventMarkers(call: TimelineCall, turns: Array<Turn & { from: number }>, start: number): Marker[] {
  const markers: Marker[] = [];
  const cutTurns = turns.filter((t) => t.role === 'agent' && t.interrupted && t.heardMs !== undefined);
  const placed = new Set<(typeof cutTurns)[number]>();
  for (const event of call.events) {
    const at = Math.max(0, event.at - start);
    if (event.type === 'barge-in') {
      const cut = cutTurns.filter((t) => t.from <= at && !placed.has(t)).at(-1);
      if (cut) placed.add(cut);
      markers.push({ at: cut ? cut.from + cut.heardMs! : at, kind: 'barge-in', label: `barge-in: ${event.summary}` });
    } else if (event.type === 'tool-call') {
      const name = typeof event.detail?.name === 'string' ? event.detail.name : 'tool';
      markers.push({ at, kind: name === 'transfer_call' ? 'transfer' : 'tool', label: event.summary || name });
    }
  }
  // Interruptions on record without their event (records from before barge-in events were kept).
  for (const cut of cutTurns) if (!placed.has(cut)) markers.push({ at: cut.from + cut.heardMs!, kind: 'barge-in', label: `barge-in after ${formatSeconds(cut.heardMs!)}` });
  return markers;
}

function intersect(a: Span, b: Span): Span[] {
  const from = Math.max(a.from, b.from);
  const to = Math.min(a.to, b.to);
  return to > from ? [{ from, to }] : [];
}

/** Spans sorted and joined where they touch or overlap. */
export function mergeSpans(spans: Span[]): Span[] {
  const merged: Span[] = [];
  for (const span of [...spans].sort((a, b) => a.from - b.from)) {
    const last = merged.at(-1);
    if (last && span.from <= last.to) last.to = Math.max(last.to, span.to);
    else merged.push({ from: span.from, to: span.to });
  }
  return merged;
}

/** The gaps between merged spans within [0, end). */
function gaps(merged: Span[], end: number): Span[] {
  const found: Span[] = [];
  let at = 0;
  for (const span of merged) {
    if (span.from > at) found.push({ from: at, to: span.from });
    at = Math.max(at, span.to);
  }
  if (end > at) found.push({ from: at, to: end });
  return found;
}

/** Round tick steps, in seconds: at most about `count` ticks over the call. */
export function tickStepMs(durationMs: number, count = 8): number {
  const steps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600].map((s) => s * 1000);
  return steps.find((step) => durationMs / step <= count) ?? 7200 * 1000;
}

// --- Markup -------------------------------------------------------------------------------------------------

const WIDTH = 960;
const LEFT = 64;
const RIGHT = 16;
const AXIS = 22;
const LANE = 30;
const LANES = { caller: AXIS + 6, agent: AXIS + 6 + LANE + 6, events: AXIS + 6 + 2 * (LANE + 6) };
const HEIGHT = LANES.events + LANE + 4;

/** The timeline section of a call's page; `recordingUrl` when the call was recorded. Nothing for a call nobody spoke on. */
export function renderTimeline(call: TimelineCall, options: { recordingUrl?: string } = {}): Html {
  if (call.transcript.length === 0 && call.events.length === 0) return html``;
  const layout = layoutTimeline(call);
  const x = (ms: number) => round(LEFT + (ms / layout.durationMs) * (WIDTH - LEFT - RIGHT));
  const width = (span: Span) => round(Math.max(2, x(span.to) - x(span.from)));
  /** A point in the call, as a link to the recording at that moment when there is one. */
  const at = (ms: number, content: Html) =>
    options.recordingUrl ? html`<a href="${`${options.recordingUrl}#t=${(ms / 1000).toFixed(1)}`}">${content}</a>` : content;
  const step = tickStepMs(layout.durationMs);
  const ticks = Array.from({ length: Math.floor(layout.durationMs / step) + 1 }, (_, i) => i * step);
  const counts = {
    overlaps: layout.overlaps.length,
    silences: layout.silences.length,
    bargeIns: layout.markers.filter((m) => m.kind === 'barge-in').length,
  };
  const summary = `The call on a time axis, ${formatOffset(layout.durationMs)} long: ${layout.speech.length} turns, ${counts.overlaps} overlaps, ${counts.bargeIns} barge-ins, ${counts.silences} silences of ${SILENCE_MS / 1000} s or more`;
  return html`<h2>Timeline</h2>
<section class="card call-timeline" aria-label="Timeline">
<div class="timeline-scroll">
<svg class="timeline-chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-labelledby="timeline-title">
<title id="timeline-title">${summary}</title>
${ticks.map((t) => html`<line class="grid" x1="${x(t)}" x2="${x(t)}" y1="${AXIS - 4}" y2="${HEIGHT - 2}"></line><text class="tick" x="${x(t)}" y="${AXIS - 8}" text-anchor="middle">${formatOffset(t)}</text>`)}
<text class="lane-name" x="${LEFT - 10}" y="${LANES.caller + LANE / 2}" dy="0.32em" text-anchor="end">Caller</text>
<text class="lane-name" x="${LEFT - 10}" y="${LANES.agent + LANE / 2}" dy="0.32em" text-anchor="end">Agent</text>
<text class="lane-name" x="${LEFT - 10}" y="${LANES.events + LANE / 2}" dy="0.32em" text-anchor="end">Events</text>
${layout.silences.map(
  (s) => html`<g class="silence-mark">${at(s.from, html`<rect class="silence" x="${x(s.from)}" y="${LANES.caller + 2}" width="${width(s)}" height="${LANES.agent + LANE - LANES.caller - 4}" rx="3"><title>${`silence ${formatOffset(s.from)}–${formatOffset(s.to)} (${formatSeconds(s.to - s.from)})`}</title></rect>`)}<text class="silence-label" x="${round((x(s.from) + x(s.to)) / 2)}" y="${LANES.agent - 2}" text-anchor="middle">${formatSeconds(s.to - s.from)}</text></g>`,
)}
${layout.speech.map((s) => {
  const y = s.role === 'caller' ? LANES.caller : LANES.agent;
  const said = `${s.role === 'caller' ? 'Caller' : 'Agent'} ${formatOffset(s.from)}–${formatOffset(s.to)}${s.estimated ? ' (end estimated)' : ''}${s.interrupted ? ', interrupted' : ''}: ${clip(s.text, 140)}`;
  const cut = s.producedTo !== undefined ? html`<rect class="speech cut" x="${x(s.to)}" y="${y + 8}" width="${width({ from: s.to, to: s.producedTo })}" height="${LANE - 16}"><title>never heard: cut by the caller</title></rect>` : '';
  return html`${cut}${at(s.from, html`<rect class="speech ${s.role}${s.estimated ? ' estimated' : ''}" data-from="${s.from}" x="${x(s.from)}" y="${y}" width="${width(s)}" height="${LANE}" rx="3"><title>${said}</title></rect>`)}`;
})}
${layout.overlaps.map(
  (o) => html`<rect class="overlap" x="${x(o.from)}" y="${LANES.caller}" width="${width(o)}" height="${LANES.agent + LANE - LANES.caller}"><title>${`both talking ${formatOffset(o.from)}–${formatOffset(o.to)}`}</title></rect>`,
)}
${layout.markers.map((m) => at(m.at, marker(m, x(m.at))))}
</svg>
</div>
<p class="note"><span class="key barge-in">▼ barge-in</span> <span class="key tool">◆ tool call</span> <span class="key transfer">▶ transfer</span>
<span class="key overlap">shaded: both talking</span> <span class="key silence">dotted: silent ${SILENCE_MS / 1000} s or more</span><br>
Caller speech ends where the agent's reply began less its reply time; lighter bars are estimated from the words.${
  options.recordingUrl ? ' Each bar and mark links to the recording at that moment.' : ''
}</p>
</section>`;
}

function marker(m: Marker, x: number): Html {
  const y = LANES.events;
  const title = html`<title>${`${formatOffset(m.at)} ${m.label}`}</title>`;
  if (m.kind === 'barge-in') {
    // A line through both speech lanes at the cut, and a triangle in the events lane.
    return html`<g class="marker barge-in" data-at="${m.at}"><line x1="${x}" x2="${x}" y1="${LANES.caller}" y2="${y + LANE}"></line><path d="M${x - 6} ${y + 4} L${x + 6} ${y + 4} L${x} ${y + 14} Z"></path>${title}</g>`;
  }
  if (m.kind === 'tool') return html`<g class="marker tool" data-at="${m.at}"><rect x="${x - 5}" y="${y + 8}" width="10" height="10" transform="rotate(45 ${x} ${y + 13})"></rect>${title}</g>`;
  if (m.kind === 'transfer') {
    return html`<g class="marker transfer" data-at="${m.at}"><path d="M${x - 6} ${y + 6} L${x + 6} ${y + 13} L${x - 6} ${y + 20} Z"></path>${title}</g>`;
  }
  return html`<g class="marker end" data-at="${m.at}"><line x1="${x}" x2="${x}" y1="${LANES.caller}" y2="${y + LANE}"></line>${title}</g>`;
}

function round(n: number): number {
  return Number(n.toFixed(1));
}

function clip(text: string, chars: number): string {
  return text.length <= chars ? text : `${text.slice(0, chars - 1)}…`;
}
