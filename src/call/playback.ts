/**
 * Agent audio on its way to the caller, and what the caller has actually heard of it.
 *
 * The model generates audio several times faster than real time. Only a short lead of it (`leadMs`) is
 * handed to the line at a time; the rest waits here and goes out as the line reports playback. That keeps
 * a clear cheap (few marks to echo back), keeps the line's buffer short, and loses nothing.
 *
 * Every chunk handed to the line is followed by a uniquely named mark. The line echoes a mark when playback
 * passes it, so the latest echoed mark of an item is how much of that item the caller heard. A clear makes
 * the line echo every outstanding mark at once: those echoes are not playback and are ignored.
 */

/** Where the audio goes: one chunk followed by its mark, and a clear of everything not yet played. */
export interface PlaybackOutput {
  send(chunk: Buffer, mark: string): void;
  clear(): void;
  /** A chunk starts playing about now (its echo may come back on the caller's line). */
  playing?(chunk: Buffer): void;
  /**
   * The line's round trip (ms), if known: an echo arrives half of it after playback passed its mark, and a clear
   * takes the other half to stop playback.
   */
  roundTripMs?(): number | undefined;
}

export interface Truncation {
  itemId: string;
  /** Integer milliseconds of the item's audio the caller heard; never beyond what was generated. */
  audioEndMs: number;
  /** Milliseconds of the item the model generated (heard or not). */
  sentMs: number;
}

interface ItemPlayback {
  responseId: string;
  /** Generated so far: handed to the line or still waiting here. */
  generatedMs: number;
  playedMs: number;
  /** Chunks at the line or waiting here. */
  chunksOut: number;
}

interface Chunk {
  itemId: string;
  audio: Buffer;
  ms: number;
  /** The item's position (ms) at the end of this chunk. */
  endMs: number;
}

interface PendingMark {
  chunk: Chunk;
  /** When the chunk was handed to the line. */
  sentAt: number;
}

const MULAW_BYTES_PER_MS = 8;
/** Agent audio goes to the line in chunks of this many ms, each followed by a mark: the resolution of "heard". */
export const CHUNK_MS = 40;
/** How far ahead of playback audio is handed to the line: enough to ride out network jitter. */
export const DEFAULT_LEAD_MS = 1000;
/** The line plays in frames of this many ms: audio reaching it when it has run dry starts on its next frame. */
const LINE_FRAME_MS = 20;

export class Playback {
  private readonly items = new Map<string, ItemPlayback>();
  private waiting: Chunk[] = [];
  /** At the line, in the order it plays them (Maps keep insertion order). */
  private readonly pending = new Map<string, PendingMark>();
  private readonly droppedResponses = new Set<string>();
  private aheadMs = 0;
  private markSeq = 0;
  private paused = false;
  /** When the line last reported playback (a mark echo). */
  private lastAckAt = -Infinity;

  constructor(
    private readonly output: PlaybackOutput,
    private readonly leadMs = DEFAULT_LEAD_MS,
    private readonly now: () => number = performance.now.bind(performance),
  ) {}

  /** True while agent audio is waiting here, queued at the line or playing. */
  get isPlaying(): boolean {
    return this.waiting.length > 0 || this.pending.size > 0;
  }

  /** Audio of an interrupted response must never reach the caller, even if it arrives late. */
  isDropped(responseId: string): boolean {
    return this.droppedResponses.has(responseId);
  }

  /** From now on, audio of this response is dropped (the caller took the turn). */
  drop(responseId: string): void {
    this.droppedResponses.add(responseId);
  }

  /** Generated audio of an item: it plays after everything queued before it. */
  play(responseId: string, itemId: string, mulaw: Buffer): void {
    let item = this.items.get(itemId);
    if (!item) {
      item = { responseId, generatedMs: 0, playedMs: 0, chunksOut: 0 };
      this.items.set(itemId, item);
    }
    const chunkBytes = CHUNK_MS * MULAW_BYTES_PER_MS;
    for (let offset = 0; offset < mulaw.length; offset += chunkBytes) {
      const audio = mulaw.subarray(offset, offset + chunkBytes);
      const ms = audio.length / MULAW_BYTES_PER_MS;
      item.generatedMs += ms;
      item.chunksOut++;
      this.waiting.push({ itemId, audio, ms, endMs: item.generatedMs });
    }
    this.pump();
  }

  /**
   * Handles a mark echo: returns the item whose playback it advanced, or undefined for echoes that do not
   * mean playback (caused by a clear, or not ours).
   */
  acknowledged(name: string): string | undefined {
    // A cleared mark left `pending` with the clear, and names are never reused: its echo finds nothing.
    const mark = this.pending.get(name);
    if (!mark) return undefined;
    this.pending.delete(name);
    this.lastAckAt = this.now();
    this.aheadMs -= mark.chunk.ms;
    const item = this.items.get(mark.chunk.itemId)!;
    item.playedMs = Math.max(item.playedMs, mark.chunk.endMs);
    item.chunksOut--;
    const next = this.pending.values().next();
    if (!next.done) this.output.playing?.(next.value.chunk.audio);
    this.pump();
    return mark.chunk.itemId;
  }

  /** Everything generated of the item so far has played (more may still come while it is generating). */
  isPlayedOut(itemId: string): boolean {
    const item = this.items.get(itemId);
    return item !== undefined && item.chunksOut === 0;
  }

  /** Milliseconds of an item the caller has heard so far. */
  heardMs(itemId: string): number {
    return Math.floor(this.items.get(itemId)?.playedMs ?? 0);
  }

  /**
   * Stops the line at once without giving anything up: what was not heard yet goes back to wait here, from
   * the first chunk the caller has not started hearing (the one playing is skipped rather than repeated),
   * until `resume()`. For a barge-in that is not certain yet.
   */
  pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.countHeardSinceLastEcho();
    const back: Chunk[] = [];
    for (const { chunk } of this.pending.values()) {
      const item = this.items.get(chunk.itemId)!;
      if (chunk.endMs - chunk.ms >= item.playedMs) back.push(chunk);
      else item.chunksOut--;
    }
    const lineHeldAudio = this.pending.size > 0;
    this.pending.clear();
    this.aheadMs = 0;
    this.waiting = [...back, ...this.waiting];
    if (lineHeldAudio) this.output.clear();
  }

  /** Goes on where `pause()` stopped. */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.pump();
  }

  /**
   * The caller talked over the agent. Everything not yet played is gone: the line is told to clear (only if
   * it holds anything), its marks will echo without being played, the responses it came from are dropped,
   * and each item cut short is to be truncated at what was heard (0 if none of it was).
   */
  interrupt(): Truncation[] {
    this.countHeardSinceLastEcho();
    const truncations: Truncation[] = [];
    for (const [itemId, item] of this.items) {
      if (item.playedMs >= item.generatedMs) continue;
      this.droppedResponses.add(item.responseId);
      truncations.push({ itemId, audioEndMs: Math.floor(item.playedMs), sentMs: item.generatedMs });
    }
    this.stopAll();
    return truncations;
  }

  /** Stops all audio at once; what the caller heard is now all there is of every item. */
  stopAll(): void {
    const lineHoldsAudio = this.pending.size > 0;
    this.pending.clear();
    this.aheadMs = 0;
    this.waiting = [];
    this.paused = false;
    for (const item of this.items.values()) {
      item.chunksOut = 0;
      item.generatedMs = item.playedMs;
    }
    // Last: a line may echo the cleared marks before clear() returns.
    if (lineHoldsAudio) this.output.clear();
  }

  /**
   * Audio of a dropped response, which is not played. True the first time for an item none of which ever
   * reached the caller: the model must forget all of it.
   */
  discard(responseId: string, itemId: string): boolean {
    if (this.items.has(itemId)) return false;
    this.items.set(itemId, { responseId, generatedMs: 0, playedMs: 0, chunksOut: 0 });
    return true;
  }

  /** A response finished: no more deltas can arrive for it. */
  responseDone(responseId: string): void {
    this.droppedResponses.delete(responseId);
  }

  /**
   * Marks only say where a chunk ended; the time since the last echo says how far playback has gone past it.
   * It is counted to where the line will be when a clear sent now reaches it. The echo left the line half a round
   * trip before it got here and the clear takes the other half, so playback went on from the echo a round trip
   * before it arrived, chunk after chunk, each no sooner than a frame after it was sent (it had to reach the line,
   * and a line that ran dry starts it on its next frame: counted short then, never past what was heard). And
   * never more than a round trip past the next mark: its echo has not come back, so half a round trip ago
   * playback had not passed it.
   */
  private countHeardSinceLastEcho(): void {
    const now = this.now();
    const roundTrip = this.output.roundTripMs?.() ?? 0;
    let lineAt = this.lastAckAt - roundTrip;
    let allowedMs: number | undefined;
    for (const { chunk, sentAt } of this.pending.values()) {
      const item = this.items.get(chunk.itemId)!;
      const startMs = chunk.endMs - chunk.ms;
      if (item.playedMs < startMs) return; // an earlier chunk of the item is still to be acknowledged
      allowedMs ??= chunk.ms + roundTrip;
      const startedAt = Math.max(lineAt, sentAt + LINE_FRAME_MS);
      const heard = Math.min(chunk.ms, allowedMs, now - startedAt);
      if (heard <= 0) return;
      item.playedMs = Math.max(item.playedMs, startMs + heard);
      if (heard < chunk.ms) return;
      allowedMs -= heard;
      lineAt = startedAt + chunk.ms;
    }
  }

  /** Hands waiting chunks to the line until it holds `leadMs` of unplayed audio. */
  private pump(): void {
    while (!this.paused && this.waiting.length > 0 && this.aheadMs < this.leadMs) {
      const chunk = this.waiting.shift()!;
      const name = `${chunk.itemId}:${Math.floor(chunk.endMs)}:${++this.markSeq}`;
      const lineWasIdle = this.pending.size === 0;
      this.pending.set(name, { chunk, sentAt: this.now() });
      this.aheadMs += chunk.ms;
      this.output.send(chunk.audio, name);
      if (lineWasIdle) this.output.playing?.(chunk.audio);
    }
  }
}
