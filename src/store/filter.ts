import { CALL_OUTCOMES, isCallOutcome } from './outcome';
import type { CallFilter, Direction, EndReason } from './types';
import { parseAnalysisFilter } from './analysisFilter';

/** Every end reason; a Record so the compiler notices when types.ts gains one. */
const END_REASON_LABELS: Record<EndReason, true> = {
  'caller-hung-up': true,
  'agent-ended': true,
  transferred: true,
  'answering-machine': true,
  'max-duration': true,
  'idle-timeout': true,
  'model-error': true,
  'protocol-error': true,
  'server-shutdown': true,
  crashed: true,
  error: true,
};
export const END_REASONS = Object.keys(END_REASON_LABELS) as EndReason[];

export function isEndReason(value: string): value is EndReason {
  return Object.hasOwn(END_REASON_LABELS, value);
}

const DIRECTION_LABELS: Record<Direction, true> = { inbound: true, outbound: true, web: true };
export const DIRECTIONS = Object.keys(DIRECTION_LABELS) as Direction[];

function isDirection(value: string): value is Direction {
  return Object.hasOwn(DIRECTION_LABELS, value);
}

/** The filters as people type them: in a query string, a form or on the command line. */
export interface FilterInput {
  since?: string;
  until?: string;
  number?: string;
  reason?: string;
  direction?: string;
  outcome?: string;
  search?: string;
  /** The analysis's status: pending, done, failed, or none. */
  analysis?: string;
  /** A field of the analysis and its value: `sentiment=negative`. */
  field?: string;
  limit?: string;
}

export interface ParsedFilter {
  filter: CallFilter;
  /** One readable line per value that could not be understood (that filter is then left out). */
  problems: string[];
}

const DAY_MS = 24 * 60 * 60 * 1000;
const RELATIVE_UNITS: Record<string, number> = { m: 60_000, h: 60 * 60_000, d: DAY_MS, w: 7 * DAY_MS };

/**
 * Turns filter text into a `CallFilter`. Dates: `2025-05-01` (local midnight; as `until`, the whole day is
 * included), an ISO date-time, `today`, `yesterday`, or a span back from now such as `30m`, `24h`, `7d`, `2w`.
 */
export function parseCallFilter(input: FilterInput, now: number): ParsedFilter {
  const filter: CallFilter = {};
  const problems: string[] = [];
  const text = (value: string | undefined) => (value ?? '').trim();

  const since = text(input.since);
  if (since) {
    const at = parseMoment(since, now, 'start');
    if (at === undefined) problems.push(`since: "${since}" is not a date (try 2025-05-01, 24h or 7d)`);
    else filter.since = at;
  }
  const until = text(input.until);
  if (until) {
    const at = parseMoment(until, now, 'end');
    if (at === undefined) problems.push(`until: "${until}" is not a date (try 2025-05-01 or 2025-05-01T18:00)`);
    else filter.until = at;
  }
  const number = text(input.number);
  if (number) filter.number = number;
  const reason = text(input.reason);
  if (reason) {
    if (isEndReason(reason)) filter.endReason = reason;
    else problems.push(`reason: "${reason}" is not one of ${END_REASONS.join(', ')}`);
  }
  const direction = text(input.direction);
  if (direction) {
    if (isDirection(direction)) filter.direction = direction;
    else problems.push(`direction: "${direction}" is not one of ${DIRECTIONS.join(', ')}`);
  }
  const outcome = text(input.outcome);
  if (outcome) {
    if (isCallOutcome(outcome)) filter.outcome = outcome;
    else problems.push(`outcome: "${outcome}" is not one of ${CALL_OUTCOMES.join(', ')}`);
  }
  const search = text(input.search);
  if (search) filter.search = search;
  const analysis = parseAnalysisFilter(text(input.analysis), text(input.field), problems);
  if (analysis) filter.analysis = analysis;
  const limit = text(input.limit);
  if (limit) {
    const n = Number(limit);
    if (Number.isInteger(n) && n > 0) filter.limit = n;
    else problems.push(`limit: "${limit}" is not a positive whole number`);
  }
  return { filter, problems };
}

/** A moment in epoch ms; for a whole day, its start, or (edge 'end') the start of the next day. */
function parseMoment(value: string, now: number, edge: 'start' | 'end'): number | undefined {
  const relative = /^(\d+)\s*([mhdw])$/i.exec(value);
  if (relative) return now - Number(relative[1]) * RELATIVE_UNITS[relative[2].toLowerCase()];

  const named = value.toLowerCase();
  if (named === 'today' || named === 'yesterday') {
    const day = new Date(now);
    day.setHours(0, 0, 0, 0);
    if (named === 'yesterday') day.setDate(day.getDate() - 1);
    return wholeDay(day, edge);
  }

  const date = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (date) {
    const day = new Date(Number(date[1]), Number(date[2]) - 1, Number(date[3]));
    if (day.getMonth() !== Number(date[2]) - 1) return undefined; // 2025-02-31
    return wholeDay(day, edge);
  }

  // Only ISO-like date-times: Date.parse accepts too many odd forms to be a good judge alone.
  if (!/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(value)) return undefined;
  const at = Date.parse(value.replace(' ', 'T'));
  return Number.isNaN(at) ? undefined : at;
}

function wholeDay(midnight: Date, edge: 'start' | 'end'): number {
  if (edge === 'end') midnight.setDate(midnight.getDate() + 1);
  return midnight.getTime();
}
