/** How numbers read in the review page and the CLI, in one place so both say the same thing. */

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** "2025-05-01 14:03:22", local time. */
export function formatDateTime(epochMs: number, withSeconds = false): string {
  const d = new Date(epochMs);
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}${withSeconds ? `:${pad(d.getSeconds())}` : ''}`;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time}`;
}

/** A call's length: "48 s", "2 min 14 s", "1 h 02 min". */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined) return '–';
  const totalSeconds = Math.round(ms / 1000);
  if (totalSeconds < 60) return `${totalSeconds} s`;
  const minutes = Math.floor(totalSeconds / 60);
  if (minutes < 60) return `${minutes} min ${pad(totalSeconds % 60)} s`;
  return `${Math.floor(minutes / 60)} h ${pad(minutes % 60)} min`;
}

/** A point in the call, from its start: "0:07", "12:45", "1:02:03". */
export function formatOffset(ms: number): string {
  const totalSeconds = Math.max(0, Math.floor(ms / 1000));
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = pad(totalSeconds % 60);
  return hours > 0 ? `${hours}:${pad(minutes)}:${seconds}` : `${minutes}:${seconds}`;
}

/** Speech lengths: "2.1 s". */
export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Latencies: "640 ms", "1.25 s". */
export function formatLatency(ms: number | undefined): string {
  if (ms === undefined) return '–';
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/** Dollars, with enough digits for the cents a short call costs: "$0.0412", "$1.37". */
export function formatCost(usd: number): string {
  if (usd === 0) return '$0';
  return usd < 1 ? `$${usd.toFixed(4)}` : `$${usd.toFixed(2)}`;
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

export interface LatencySummary {
  count: number;
  median: number;
  min: number;
  max: number;
}

export function summarizeLatencies(latenciesMs: number[]): LatencySummary | undefined {
  if (latenciesMs.length === 0) return undefined;
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  return { count: sorted.length, median, min: sorted[0], max: sorted[sorted.length - 1] };
}

/** "interrupted at 2.1 s" (of 6.3 s, when known): where the caller cut the agent off. */
export function describeInterruption(heardMs: number | undefined, spokenMs: number | undefined): string {
  if (heardMs === undefined) return 'interrupted';
  const of = spokenMs !== undefined && spokenMs > heardMs ? ` of ${formatSeconds(spokenMs)}` : '';
  return `interrupted at ${formatSeconds(heardMs)}${of}`;
}

/** Readable names for end reasons. */
export function describeEndReason(reason: string | undefined): string {
  if (reason === undefined) return 'in progress';
  return reason.replace(/-/g, ' ');
}

/**
 * How a call ended, in words: how the agent's part ended; for a call that never reached the agent, Twilio's
 * outcome ("no answer", "busy", or "ringing" while it rings).
 */
export function describeCallEnd(call: { endReason?: string; outcome?: string }): string {
  if (call.endReason === undefined && call.outcome !== undefined && call.outcome !== 'in-progress') return call.outcome.replace(/-/g, ' ');
  return describeEndReason(call.endReason);
}
