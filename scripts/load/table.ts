/** The results of `npm run load` as a text table: one column per bridge, one row per measure. Pure. */
import type { MessageWork, ModeResult } from './run';
import { median, type Summary } from './stats';

export interface Machine {
  cpu: string;
  cores: number;
  node: string;
  os: string;
  memoryGB: number;
}

/** A number with `digits` decimals, or '–' when there is none. */
export function num(value: number | undefined, digits = 1): string {
  return value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits);
}

function work(w: MessageWork | undefined): string {
  return w?.count ? `${num(w.p50, 3)} / ${num(w.p99, 3)} / ${num(w.max, 1)}` : '–';
}

function pair(s: Summary, digits = 1): string {
  return s.n === 0 ? '–' : `${num(s.p50, digits)} / ${num(s.p99, digits)}`;
}

/** Sets each mode's CPU ratio against the baseline of the same run (when there is one). */
export function withRatios(results: ModeResult[]): ModeResult[] {
  const baseline = results.find((r) => r.mode === 'baseline');
  for (const r of results) {
    if (baseline && Number.isFinite(baseline.cpu.msPerCallSecond) && baseline.cpu.msPerCallSecond > 0) {
      r.cpu.ratioToBaseline = r.cpu.msPerCallSecond / baseline.cpu.msPerCallSecond;
    }
  }
  return results;
}

/** Each mode's CPU ratio to its own round's baseline, round by round, and their median. */
export function formatRounds(rounds: ModeResult[][]): string {
  const modes = [...new Set(rounds.flatMap((results) => results.map((r) => r.mode)))].filter((m) => m !== 'baseline');
  const lines = modes.map((mode) => {
    const ratios = rounds.map((results) => results.find((r) => r.mode === mode)?.cpu.ratioToBaseline);
    const times = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '–' : `${num(x, 2)}×`);
    return `${mode}: ${ratios.map(times).join(', ')}; median ${times(median(ratios.filter((x): x is number => x !== undefined)))}`;
  });
  return [`server CPU per call-second × its round's baseline, ${rounds.length} rounds:`, ...lines].join('\n');
}

/**
 * Memory per added call: each mode's steady RSS at one call count less its steady RSS at the count before, over
 * the calls added (the median over rounds). Unlike the table's row per call, what the process grows once under its
 * first calls (heap, code, buffers) cancels out.
 */
export function formatAddedCalls(byCalls: Array<{ calls: number; rounds: ModeResult[][] }>): string {
  const steadyMB = (rounds: ModeResult[][], mode: string) =>
    median(rounds.flatMap((results) => results.filter((r) => r.mode === mode).map((r) => r.rss.steadyMB)));
  const modes = [...new Set(byCalls.flatMap(({ rounds }) => rounds.flatMap((results) => results.map((r) => r.mode))))];
  const lines = modes.map((mode) => {
    const steps = byCalls.slice(1).map((to, i) => {
      const from = byCalls[i]!;
      const kb = ((steadyMB(to.rounds, mode) - steadyMB(from.rounds, mode)) * 1024) / (to.calls - from.calls);
      return `${from.calls} → ${to.calls} calls ${num(kb, 0)} KB`;
    });
    return `${mode}: ${steps.join('; ')}`;
  });
  return ['RSS per added call (steady RSS at one call count less at the one before, over the calls added):', ...lines].join('\n');
}

/** Problems worth a line under the table, per mode. */
export function problems(r: ModeResult): string[] {
  const c = r.calls;
  const out: string[] = [];
  if (c.dialFailed) out.push(`${c.dialFailed} calls failed to connect`);
  if (c.endedByServer) out.push(`${c.endedByServer} calls were hung up by the bridge before the caller`);
  if (c.violations) out.push(`${c.violations} messages Twilio would refuse`);
  if (c.noClear) out.push(`${c.noClear} calls: talking over the greeting never cleared the line`);
  if (c.noReply) out.push(`${c.noReply} calls never heard the whole reply`);
  if (c.unpaired) out.push(`${c.unpaired} calls not matched with their model session (${c.pairing})`);
  if (c.misaligned) out.push(`${c.misaligned} sessions with frames that did not line up (left out of caller→model)`);
  if (!r.window.quiet) out.push('no quiet steady part: the window includes the scripted part of the calls (make --seconds longer)');
  if (r.fake.oddAppends) {
    const lengths = [...new Set(r.fake.oddAppendMs.map((ms) => `${num(ms, 0)} ms`))].join(', ');
    out.push(`${r.fake.oddAppends} appends that were not whole 20 ms frames (${lengths}): silence the bridge filled in`);
  }
  const fakeErrors = Object.entries(r.fake.errors);
  if (fakeErrors.length) out.push(`errors from the model: ${fakeErrors.map(([code, n]) => `${code} ×${n}`).join(', ')}`);
  if (r.server.exitCode !== 0) out.push(`the bridge exited with ${r.server.exitCode ?? r.server.signal}`);
  for (const m of r.server.messages) out.push(`bridge ${m.level}: ${m.message}${m.count > 1 ? ` (×${m.count})` : ''}`);
  return out;
}

export function formatTable(results: ModeResult[], machine: Machine, command: string, code?: string): string {
  const rows: Array<[string, (r: ModeResult) => string]> = [
    ['calls connected / planned (in s)', (r) => `${r.calls.connected}/${r.calls.planned} (${num(r.calls.rampSeconds)})`],
    ['steady window, s (calls in it)', (r) => `${num(r.window.seconds)}${r.window.quiet ? '' : '*'} (${r.window.activeCalls})`],
    ['server CPU, ms per call-second', (r) => num(r.cpu.msPerCallSecond, 3)],
    ['  × baseline', (r) => (r.cpu.ratioToBaseline === undefined ? '–' : `${num(r.cpu.ratioToBaseline, 2)}×`)],
    ['server CPU over the whole run, ms per call-second', (r) => num(r.cpu.wholeRunMsPerCallSecond, 3)],
    ['server CPU, % of one core (idle)', (r) => `${num(r.cpu.coreFraction * 100)}% (${num(r.cpu.idleCoreFraction * 100)}%)`],
    ['RSS idle → steady, MB', (r) => `${num(r.rss.idleMB)} → ${num(r.rss.steadyMB)}`],
    ['RSS per call, KB', (r) => num(r.rss.perCallKB, 0)],
    ['JS heap idle → steady, MB', (r) => `${num(r.heap.idleMB)} → ${num(r.heap.steadyMB)}`],
    ['caller→model per frame, caller speaking p50/p99, ms', (r) => pair(r.callerToModelSpeech, 2)],
    ['caller→model per frame, steady window p50/p99, ms', (r) => pair(r.callerToModel, 2)],
    ['model→caller per delta p50/p99, ms', (r) => pair(r.modelToCaller, 2)],
    ['clear after speech_started p50/p99, ms', (r) => pair(r.clearAfterSpeechStarted)],
    ['clear after caller spoke p50/p99, ms', (r) => pair(r.clearAfterCallerSpoke)],
    ['truncation error p1/p50/p99, ms', (r) => (r.truncationError.n ? `${num(r.truncationError.p1)} / ${num(r.truncationError.p50)} / ${num(r.truncationError.p99)}` : '–')],
    ['truncation error min…max (n), ms', (r) => (r.truncationError.n ? `${num(r.truncationError.min)}…${num(r.truncationError.max)} (${r.truncationError.n})` : '–')],
    ['last echo before the clear, sent late p50/p99, ms', (r) => pair(r.lastEchoLate)],
    ['first agent audio p50/p99, ms', (r) => pair(r.firstAudio, 0)],
    ['bridge work per caller frame p50/p99/max, ms', (r) => work(r.serverWork?.frame)],
    ['bridge work per model delta p50/p99/max, ms', (r) => work(r.serverWork?.delta)],
    ['bridge work per speech_started p50/p99/max, ms', (r) => work(r.serverWork?.speechStarted)],
    ['bridge: speech_started → clear sent p50/p99/max, ms', (r) => work(r.serverWork?.clearAfterSpeechStarted)],
    ['bridge: caller frame → clear sent p50/p99/max, ms', (r) => work(r.serverWork?.clearAfterFrame)],
    ['server event loop p50/p99/max, ms', (r) => (r.serverEventLoop ? `${num(r.serverEventLoop.p50)} / ${num(r.serverEventLoop.p99)} / ${num(r.serverEventLoop.max)}` : '–')],
    ['load process CPU, event loop p99', (r) => `${num(r.harness.coreFraction * 100, 0)}%, ${num(r.harness.eventLoop.p99)} ms`],
    ['load average before → after', (r) => `${num(r.loadAverage.before[0], 2)} → ${num(r.loadAverage.after[0], 2)}`],
  ];
  const header = ['', ...results.map((r) => (r.instances > 1 ? `${r.mode} ×${r.instances} instances` : r.mode))];
  const body = rows.map(([label, cell]) => [label, ...results.map(cell)]);
  const widths = header.map((_, i) => Math.max(...[header, ...body].map((row) => row[i]!.length)));
  const line = (row: string[]) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('   ').trimEnd();
  const out = [
    `npm run load -- ${command}`,
    `machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGB.toFixed(0)} GB, ${machine.os}, node ${machine.node}`,
    ...(code ? [`code: ${code}`] : []),
    '',
    line(header),
    ...body.map(line),
  ];
  const notes = results.flatMap((r) => problems(r).map((p) => `${r.mode}: ${p}`));
  if (results.some((r) => !r.window.quiet)) out.push('', '* not a quiet steady part (see below)');
  if (notes.length) out.push('', ...notes);
  return out.join('\n');
}
