import type { OpenAIConversation } from './openaiConversation';

/**
 * Model sessions opened while the phone rings, so the greeting can start the moment the call's stream does.
 * Each waits for its call by CallSid and is closed if no stream takes it in time (the caller hung up, or the
 * stream reached another instance, which then connects as usual).
 */
export class EarlyConversations {
  private readonly waiting = new Map<string, { conversation: OpenAIConversation; timer: NodeJS.Timeout }>();

  constructor(private readonly ttlMs: number) {}

  get size(): number {
    return this.waiting.size;
  }

  /** Connects `conversation` now, for the call `callSid`. */
  open(callSid: string, conversation: OpenAIConversation): void {
    this.waiting.get(callSid)?.conversation.close();
    conversation.connect();
    const timer = setTimeout(() => this.take(callSid)?.close(), this.ttlMs);
    timer.unref();
    this.waiting.set(callSid, { conversation, timer });
  }

  /** The call's early conversation, now its own; undefined when there is none. */
  take(callSid: string): OpenAIConversation | undefined {
    const early = this.waiting.get(callSid);
    if (!early) return undefined;
    clearTimeout(early.timer);
    this.waiting.delete(callSid);
    return early.conversation;
  }

  closeAll(): void {
    for (const callSid of [...this.waiting.keys()]) this.take(callSid)?.close();
  }
}
