import type { CallDetail, CallSummary } from '../store';
import {
  describeCallEnd,
  describeInterruption,
  formatCost,
  formatCount,
  formatDateTime,
  formatDuration,
  formatLatency,
  formatOffset,
  summarizeLatencies,
} from './format';

/** Call records as terminal text (the `npm run calls` CLI). Pure: the caller prints. */

export interface TextStyle {
  /** ANSI colours; off for pipes, files and NO_COLOR. */
  color: boolean;
  /** Wrap long lines to this many columns. */
  width: number;
}

const ANSI = { bold: '1', dim: '2', red: '31', green: '32', yellow: '33', blue: '34', magenta: '35', cyan: '36' };
type Tone = keyof typeof ANSI;

function paint(style: TextStyle, tone: Tone, text: string): string {
  return style.color ? `\u001b[${ANSI[tone]}m${text}\u001b[0m` : text;
}

/** Pads by visible length, so colour codes do not break the columns. */
function cell(text: string, width: number, align: 'left' | 'right' = 'left', painted = text): string {
  const gap = ' '.repeat(Math.max(0, width - [...text].length));
  return align === 'left' ? painted + gap : gap + painted;
}

const REASON_TONE: Record<string, Tone> = {
  'caller-hung-up': 'green',
  'agent-ended': 'green',
  transferred: 'blue',
  'answering-machine': 'blue',
  'max-duration': 'yellow',
  'idle-timeout': 'yellow',
  'server-shutdown': 'yellow',
};

/** Calls that never reached the agent. */
const OUTCOME_TONE: Record<string, Tone> = { completed: 'green', busy: 'yellow', 'no-answer': 'yellow', canceled: 'yellow', failed: 'red' };

function reason(style: TextStyle, call: Pick<CallSummary, 'endReason' | 'outcome'>, width = 0): string {
  const text = describeCallEnd(call);
  const tone: Tone = call.endReason === undefined ? (OUTCOME_TONE[call.outcome ?? ''] ?? 'magenta') : (REASON_TONE[call.endReason] ?? 'red');
  return cell(text, width, 'left', paint(style, tone, text));
}

export function renderCallListText(calls: CallSummary[], style: TextStyle): string {
  if (calls.length === 0) return 'No calls match.\n';
  const columns = ['STARTED', 'FROM', 'TO', 'LENGTH', 'TURNS', 'BARGE-INS', 'COST', 'ENDED', 'CALL SID'];
  const rows = calls.map((c) => ({
    started: formatDateTime(c.startedAt),
    from: printable(c.from || '?'),
    to: printable(c.to || '?'),
    length: formatDuration(c.durationMs),
    turns: String(c.turnCount),
    bargeIns: String(c.bargeIns),
    cost: formatCost(c.costUsd),
    reason: describeCallEnd(c),
    call: c,
  }));
  const width = (header: string, values: string[]) => Math.max(header.length, ...values.map((v) => [...v].length));
  const w = {
    started: width(columns[0], rows.map((r) => r.started)),
    from: width(columns[1], rows.map((r) => r.from)),
    to: width(columns[2], rows.map((r) => r.to)),
    length: width(columns[3], rows.map((r) => r.length)),
    turns: width(columns[4], rows.map((r) => r.turns)),
    bargeIns: width(columns[5], rows.map((r) => r.bargeIns)),
    cost: width(columns[6], rows.map((r) => r.cost)),
    reason: width(columns[7], rows.map((r) => r.reason)),
  };
  const header = [
    cell(columns[0], w.started),
    cell(columns[1], w.from),
    cell(columns[2], w.to),
    cell(columns[3], w.length),
    cell(columns[4], w.turns, 'right'),
    cell(columns[5], w.bargeIns, 'right'),
    cell(columns[6], w.cost, 'right'),
    cell(columns[7], w.reason),
    columns[8],
  ].join('  ');
  const lines = rows.map((r) =>
    [
      cell(r.started, w.started),
      cell(r.from, w.from, 'left', paint(style, 'bold', r.from)),
      cell(r.to, w.to),
      cell(r.length, w.length),
      cell(r.turns, w.turns, 'right'),
      cell(r.bargeIns, w.bargeIns, 'right'),
      cell(r.cost, w.cost, 'right'),
      reason(style, r.call, w.reason),
      paint(style, 'dim', printable(r.call.callSid)),
    ].join('  '),
  );
  const totalMs = calls.reduce((sum, c) => sum + (c.durationMs ?? 0), 0);
  const totalCost = calls.reduce((sum, c) => sum + c.costUsd, 0);
  const footer = `${calls.length} ${calls.length === 1 ? 'call' : 'calls'} · ${formatDuration(totalMs)} talked · ${formatCost(totalCost)} estimated`;
  return [paint(style, 'dim', header), ...lines, '', footer, ''].join('\n');
}

export function renderCallText(call: CallDetail, style: TextStyle, recordingPath?: string): string {
  const start = call.answeredAt;
  const label = (text: string) => paint(style, 'dim', text.padEnd(11));
  const latency = summarizeLatencies(call.turnLatenciesMs);
  const u = call.usage;
  const [from, to, persona] = [call.from || '?', call.to || '?', call.personaName].map(printable);
  const lines = [
    `${paint(style, 'bold', `${from} → ${to}`)}  ${reason(style, call)}`,
    `${label('Call')}${printable(call.callSid)} · ${call.direction}${call.outcome ? ` · ${call.outcome}` : ''} · ${
      call.streamSid ? `stream ${printable(call.streamSid)}` : 'never reached the agent'
    }`,
    `${label('Started')}${formatDateTime(call.startedAt, true)} · ${formatDuration(call.durationMs)}${
      call.endedAt === undefined ? ' so far' : ''
    }`,
    `${label('Agent')}${persona} · ${printable(call.model)} · voice ${printable(call.voice)} · ${call.audioMode}`,
    `${label('Latency')}first audio ${formatLatency(call.firstAudioMs)}${
      latency
        ? ` · replies ${call.turnLatenciesMs.map((ms) => Math.round(ms)).join(' / ')} ms (median ${formatLatency(latency.median)})`
        : ''
    }`,
    `${label('Barge-ins')}${call.bargeIns}`,
    `${label('Tokens')}audio in ${formatCount(u.audioIn)} (+${formatCount(u.audioInCached)} cached) · text in ${formatCount(
      u.textIn,
    )} (+${formatCount(u.textInCached)} cached) · audio out ${formatCount(u.audioOut)} · text out ${formatCount(
      u.textOut,
    )} · transcription ${formatCount(u.transcription)}`,
    `${label('Cost')}${formatCost(call.costUsd)} estimated`,
    ...(recordingPath ? [`${label('Recording')}${recordingPath}`] : []),
    '',
    paint(style, 'bold', 'Transcript'),
  ];
  if (call.transcript.length === 0) lines.push('  (nothing was said)');
  const textColumn = 2 + 5 + 2 + 7 + 1; // "  0:05  Caller  "
  for (const turn of call.transcript) {
    const who = turn.role === 'agent' ? paint(style, 'cyan', 'Agent  ') : paint(style, 'yellow', 'Caller ');
    const wrapped = wrap(printable(turn.text) || '…', Math.max(20, style.width - textColumn));
    if (turn.interrupted) wrapped.push(paint(style, 'red', `— ${describeInterruption(turn.heardMs, turn.spokenMs)}`));
    wrapped.forEach((line, i) => {
      const time = paint(style, 'dim', formatOffset(turn.at - start).padStart(5));
      lines.push(i === 0 ? `  ${time}  ${who} ${line}` : `${' '.repeat(textColumn)}${line}`);
    });
  }
  lines.push('', paint(style, 'bold', 'Events'));
  if (call.events.length === 0) lines.push('  (none)');
  const typeWidth = Math.max(0, ...call.events.map((e) => e.type.length));
  for (const event of call.events) {
    const type = event.type.padEnd(typeWidth);
    const painted = event.type === 'error' ? paint(style, 'red', type) : event.type === 'barge-in' ? paint(style, 'yellow', type) : type;
    lines.push(`  ${paint(style, 'dim', formatOffset(event.at - start).padStart(5))}  ${painted}  ${printable(event.summary)}`);
  }
  return lines.join('\n') + '\n';
}

/** Records hold what callers and models said: never let them send escape sequences to the terminal. */
function printable(text: string): string {
  return text.replace(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g, ' ');
}

/** Word wrap; words longer than a line are left whole rather than broken. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(/\s+/).filter(Boolean)) {
      if (line && line.length + 1 + word.length > width) {
        lines.push(line);
        line = word;
      } else {
        line = line ? `${line} ${word}` : word;
      }
    }
    lines.push(line);
  }
  return lines;
}
