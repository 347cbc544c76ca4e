import type { Turn } from './types';

interface AgentItem {
  at: number;
  generatedMs: number;
  latencyMs?: number;
  /** The transcript so far, while it streams in. */
  partialText: string;
  text?: string;
  /** Set once the item will play no further: played out, cut by a barge-in, or the call ended. */
  heard?: { ms: number; interrupted: boolean };
}

/**
 * The conversation as the caller heard it. Caller turns come from input transcription; agent turns from
 * the output transcript, committed only once we know how much of the audio was played, and cut at the
 * barge-in point when the caller talked over it. Committed turns go to `commit` (the call record) and
 * are kept to re-seed a new model session.
 */
export class Transcript {
  private readonly turns: Turn[] = [];
  private readonly agentItems = new Map<string, AgentItem>();
  /** Items already committed: late audio of an interrupted response must not reopen them. */
  private readonly committedItems = new Set<string>();
  private readonly callerSpeechAt = new Map<string, number>();

  constructor(private readonly commit: (turn: Turn) => void = () => {}) {}

  /** Turns heard so far, in the order they were committed. */
  get history(): readonly Turn[] {
    return this.turns;
  }

  callerStartedSpeaking(itemId: string, at: number): void {
    this.callerSpeechAt.set(itemId, at);
  }

  callerSaid(itemId: string, text: string, now: number): void {
    const at = this.callerSpeechAt.get(itemId) ?? now;
    this.callerSpeechAt.delete(itemId);
    if (text.trim()) this.add({ role: 'caller', text: text.trim(), at, interrupted: false });
  }

  /** Agent audio generated for an item (whether or not it reaches the caller). */
  agentAudio(itemId: string, ms: number, now: number, latencyMs?: number): void {
    if (this.committedItems.has(itemId)) return;
    const item = this.agentItems.get(itemId);
    if (item) item.generatedMs += ms;
    else this.agentItems.set(itemId, { at: now, generatedMs: ms, latencyMs, partialText: '' });
  }

  /** A piece of the item's transcript as it streams. */
  agentTextDelta(itemId: string, delta: string): void {
    const item = this.agentItems.get(itemId);
    if (item) item.partialText += delta;
  }

  /** The item's full transcript: everything the model said, heard or not. */
  agentText(itemId: string, text: string): void {
    const item = this.agentItems.get(itemId);
    if (!item) return;
    item.text = text;
    this.commitIfSettled(itemId, item);
  }

  /**
   * How much of the item the caller heard, now that it will play no further: cut by a barge-in, or played
   * out (which is final only once the transcript is in, since it marks the end of the item's audio).
   */
  agentSettled(itemId: string, heardMs: number, interrupted: boolean): void {
    const item = this.agentItems.get(itemId);
    if (!item || item.heard || (!interrupted && item.text === undefined)) return;
    item.heard = { ms: heardMs, interrupted };
    this.commitIfSettled(itemId, item);
  }

  /** Nothing open will play any further (the call ended, or the model session was lost): commit it as heard. */
  settleAll(heardMs: (itemId: string) => number): void {
    for (const [itemId, item] of this.agentItems) {
      const ms = heardMs(itemId);
      item.heard ??= { ms, interrupted: ms < item.generatedMs - 1 };
      item.text ??= item.partialText;
      this.commitIfSettled(itemId, item);
    }
  }

  private commitIfSettled(itemId: string, item: AgentItem): void {
    if (item.text === undefined || !item.heard) return;
    this.agentItems.delete(itemId);
    this.committedItems.add(itemId);
    const { ms, interrupted } = item.heard;
    const text = interrupted ? cutAtHeard(item.text, ms, item.generatedMs) : item.text;
    if (!text && ms === 0) return;
    this.add({
      role: 'agent',
      text,
      at: item.at,
      interrupted,
      heardMs: Math.round(ms),
      spokenMs: Math.round(item.generatedMs),
      ...(item.latencyMs !== undefined ? { latencyMs: item.latencyMs } : {}),
    });
  }

  private add(turn: Turn): void {
    this.turns.push(turn);
    this.commit(turn);
  }
}

/**
 * The part of a transcript the caller heard, assuming speech is spread evenly over the audio: the model
 * gives no word timings. Cuts at a word boundary, keeping a word the caller heard the start of.
 */
export function cutAtHeard(text: string, heardMs: number, totalMs: number): string {
  if (totalMs <= 0 || heardMs >= totalMs) return text;
  if (heardMs <= 0) return '';
  const chars = Math.round((text.length * heardMs) / totalMs);
  const nextSpace = text.indexOf(' ', chars);
  return (nextSpace === -1 ? text : text.slice(0, nextSpace)).trim();
}
