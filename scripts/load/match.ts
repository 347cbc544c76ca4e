/**
 * Matching what the simulated callers sent and heard with what the fake model received and sent, to get
 * per-frame latencies. Pure functions over timestamps (performance.now() of the load process: the callers and
 * the fake model share its clock).
 */

/** μ-law at 8 kHz, as Twilio sends it. */
export const MULAW_BYTES_PER_MS = 8;
/** One Twilio media frame: 20 ms of μ-law. */
export const FRAME_BYTES = 160;

/**
 * Caller → model latency of each frame sent within [from, to]. The bridge forwards frames one to one once its
 * model session is ready, so append `a` carries frame `a + offset`; the offset comes from the first frame of
 * the caller's phrase and the first append that is not silence.
 */
export function inboundLatencies(sendTimes: readonly number[], appendTimes: readonly number[], offset: number, from: number, to: number): number[] {
  const out: number[] = [];
  for (let a = Math.max(0, -offset); a < appendTimes.length; a++) {
    const sent = sendTimes[a + offset];
    if (sent === undefined) break;
    if (sent >= from && sent <= to) out.push(appendTimes[a]! - sent);
  }
  return out;
}

/** The smallest (receive − send) over all aligned pairs: negative means the alignment is wrong. */
export function minimumLag(sendTimes: readonly number[], appendTimes: readonly number[], offset: number): number {
  let min = Infinity;
  for (let a = Math.max(0, -offset); a < appendTimes.length; a++) {
    const sent = sendTimes[a + offset];
    if (sent === undefined) break;
    min = Math.min(min, appendTimes[a]! - sent);
  }
  return min;
}

export interface DeltaSent {
  /** When the fake model sent it. */
  at: number;
  /** Where it ends in its item, in 8 kHz samples (= μ-law bytes), counted from the item's start. */
  endBytes: number;
}

export interface MediaReceived {
  /** When the simulated caller received it. */
  at: number;
  /** μ-law bytes in the payload. */
  bytes: number;
}

export interface OutboundMatch {
  latencies: number[];
  /** Deltas whose audio never reached the caller (cut by a barge-in). */
  unmatched: number;
  /** Deltas matched to media received before they were sent: a wrong match, left out. */
  impossible: number;
}

/**
 * Model → caller latency of each delta of one item: from the delta leaving the fake to the caller receiving the
 * media message that carries its last byte (within `toleranceBytes`, for the few samples a resampling filter
 * holds back). Only deltas ending within `maxOffsetBytes` of the item's start are counted: beyond the bridge's
 * playback lead, audio waits for the caller to play what came before, which is pacing, not processing.
 */
export function outboundLatencies(
  deltas: readonly DeltaSent[],
  media: readonly MediaReceived[],
  options: { maxOffsetBytes: number; toleranceBytes: number },
): OutboundMatch {
  const result: OutboundMatch = { latencies: [], unmatched: 0, impossible: 0 };
  let i = 0;
  let end = media.length > 0 ? media[0]!.bytes : 0;
  for (const delta of deltas) {
    if (delta.endBytes > options.maxOffsetBytes) continue;
    const want = delta.endBytes - options.toleranceBytes;
    while (i < media.length && end < want) {
      i++;
      if (i < media.length) end += media[i]!.bytes;
    }
    if (i >= media.length) {
      result.unmatched++;
      continue;
    }
    const latency = media[i]!.at - delta.at;
    if (latency < 0) result.impossible++;
    else result.latencies.push(latency);
  }
  return result;
}

/**
 * Milliseconds of agent audio the caller heard before `t`, from the simulator's playback intervals (each start
 * with the stop that follows it; a start without a stop is still playing).
 */
export function heardBefore(startedAt: readonly number[], stoppedAt: readonly number[], t: number): number {
  let heard = 0;
  for (let i = 0; i < startedAt.length; i++) {
    const start = startedAt[i]!;
    if (start >= t) break;
    heard += Math.min(stoppedAt[i] ?? t, t) - start;
  }
  return heard;
}

/** Bytes carried by a base64 string, from its length alone. */
export function base64Bytes(b64: string): number {
  const padding = b64.endsWith('==') ? 2 : b64.endsWith('=') ? 1 : 0;
  return (b64.length / 4) * 3 - padding;
}
