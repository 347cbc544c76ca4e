/**
 * Small facts every instance must see the same way: a stream token used once, a call being transferred and
 * where to. Entries expire; nothing here outlives the longest call by much.
 */
export interface SharedState {
  /** True for the first claim of `key`, false for every later one until `untilMs`. */
  claim(key: string, untilMs: number): Promise<boolean>;
  /** Keeps `value` under `key` until `untilMs`, replacing what was there. */
  put(key: string, value: string, untilMs: number): Promise<void>;
  /** The value under `key`, which is removed (undefined when there is none, or it expired). */
  take(key: string): Promise<string | undefined>;
  /** The value under `key`, left in place (undefined when there is none, or it expired). */
  read(key: string): Promise<string | undefined>;
}

/** Shared state in this process: enough for a single instance. */
export class MemorySharedState implements SharedState {
  private readonly entries = new Map<string, { value: string; until: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  async claim(key: string, untilMs: number): Promise<boolean> {
    this.prune();
    if (this.entries.has(key)) return false;
    this.entries.set(key, { value: '', until: untilMs });
    return true;
  }

  async put(key: string, value: string, untilMs: number): Promise<void> {
    this.prune();
    this.entries.set(key, { value, until: untilMs });
  }

  async take(key: string): Promise<string | undefined> {
    this.prune();
    const entry = this.entries.get(key);
    this.entries.delete(key);
    return entry?.value;
  }

  async read(key: string): Promise<string | undefined> {
    this.prune();
    return this.entries.get(key)?.value;
  }

  private prune(): void {
    const now = this.now();
    for (const [key, { until }] of this.entries) if (until <= now) this.entries.delete(key);
  }
}
