/**
 * What the caller has actually heard, from Twilio's mark echoes rather than clocks.
 *
 * Every chunk of agent audio we send is followed by a uniquely named mark. Twilio echoes a mark when
 * playback passes it, so the latest echoed mark of an item is how much of that item the caller heard.
 * A `clear` makes Twilio echo every outstanding mark at once: those echoes are not playback and are ignored.
 */

export interface Truncation {
  itemId: string;
  /** Integer milliseconds of the item's audio the caller heard; never beyond what was sent. */
  audioEndMs: number;
  sentMs: number;
}

interface ItemPlayback {
  responseId: string;
  sentMs: number;
  playedMs: number;
  pendingMarks: number;
}

interface PendingMark {
  itemId: string;
  /** The item's sent position (ms) at the end of the audio this mark follows. */
  atMs: number;
}

export class PlaybackTracker {
  private readonly items = new Map<string, ItemPlayback>();
  private readonly pending = new Map<string, PendingMark>();
  private readonly clearedMarks = new Set<string>();
  private readonly droppedResponses = new Set<string>();
  private markSeq = 0;

  /** True while audio we sent is still queued or playing at Twilio. */
  get isPlaying(): boolean {
    return this.pending.size > 0;
  }

  /** Audio of an interrupted response must never reach the caller, even if it arrives late. */
  isDropped(responseId: string): boolean {
    return this.droppedResponses.has(responseId);
  }

  /** Records `ms` of an item's audio sent to Twilio and returns the name of the mark to send after it. */
  sent(responseId: string, itemId: string, ms: number): string {
    let item = this.items.get(itemId);
    if (!item) {
      item = { responseId, sentMs: 0, playedMs: 0, pendingMarks: 0 };
      this.items.set(itemId, item);
    }
    item.sentMs += ms;
    item.pendingMarks++;
    const name = `${itemId}:${Math.floor(item.sentMs)}:${++this.markSeq}`;
    this.pending.set(name, { itemId, atMs: item.sentMs });
    return name;
  }

  /**
   * Handles a mark echo: returns the item whose playback it advanced, or undefined for echoes that do not
   * mean playback (caused by a clear, or not ours).
   */
  acknowledged(name: string): string | undefined {
    if (this.clearedMarks.delete(name)) return undefined;
    const mark = this.pending.get(name);
    if (!mark) return undefined;
    this.pending.delete(name);
    const item = this.items.get(mark.itemId)!;
    item.playedMs = Math.max(item.playedMs, mark.atMs);
    item.pendingMarks--;
    return mark.itemId;
  }

  /** Everything sent of the item so far has played (more may still come while it is generating). */
  isPlayedOut(itemId: string): boolean {
    const item = this.items.get(itemId);
    return item !== undefined && item.pendingMarks === 0;
  }

  /** Milliseconds of an item the caller has heard so far. */
  heardMs(itemId: string): number {
    return Math.floor(this.items.get(itemId)?.playedMs ?? 0);
  }

  /**
   * The caller talked over the agent, and we have just told Twilio to clear. Everything still queued is
   * gone: its marks will echo without being played, the responses it came from are dropped, and each item
   * cut short is to be truncated at what was heard. `activeResponseId` is a response still generating,
   * whose later audio must be dropped too even if none of it was sent yet.
   */
  interrupt(activeResponseId?: string): Truncation[] {
    for (const name of this.pending.keys()) this.clearedMarks.add(name);
    this.pending.clear();
    for (const item of this.items.values()) item.pendingMarks = 0;
    if (activeResponseId) this.droppedResponses.add(activeResponseId);
    const truncations: Truncation[] = [];
    for (const [itemId, item] of this.items) {
      if (item.playedMs >= item.sentMs) continue;
      this.droppedResponses.add(item.responseId);
      truncations.push({ itemId, audioEndMs: Math.floor(item.playedMs), sentMs: item.sentMs });
      // What the caller heard is now all there is of this item.
      item.sentMs = item.playedMs;
    }
    return truncations;
  }

  /** A response finished: no more deltas can arrive for it. */
  responseDone(responseId: string): void {
    this.droppedResponses.delete(responseId);
  }
}
