import { NoiseFloor } from '../../src/audio';
import { SilenceBatcher } from '../../src/call/silenceBatches';

const frame = (n: number) => Buffer.alloc(160, n);
const SILENT = -120;
const SPEECH = -20;

/** A batcher on a line whose noise floor is kept as the call keeps it. */
function batcherOnLine(batchMs: number) {
  const batcher = new SilenceBatcher(batchMs);
  const floor = new NoiseFloor();
  return {
    frame(mulaw: Buffer, dbfs: number, ms: number, mayHold: boolean): Buffer | undefined {
      const out = batcher.frame(mulaw, dbfs, floor.level, ms, mayHold);
      floor.update(dbfs);
      return out;
    },
    flush: () => batcher.flush(),
  };
}

/** Feeds frames (20 ms each, frame i filled with byte i) at these levels; per frame, which frames went out with it. */
function feed(batcher: ReturnType<typeof batcherOnLine>, levels: number[], mayHold = true, first = 0): Array<number[] | undefined> {
  return levels.map((dbfs, i) => {
    const out = batcher.frame(frame(first + i), dbfs, 20, mayHold);
    return out && chunks(out);
  });
}

function chunks(audio: Buffer): number[] {
  const ids: number[] = [];
  for (let i = 0; i < audio.length; i += 160) ids.push(audio[i]);
  return ids;
}

describe('SilenceBatcher', () => {
  it('sends the first 200 ms of silence frame by frame, then 100 ms at a time, every frame once and in order', () => {
    const sent = feed(batcherOnLine(100), Array(20).fill(SILENT));
    expect(sent.slice(0, 10)).toEqual([[0], [1], [2], [3], [4], [5], [6], [7], [8], [9]]);
    expect(sent.slice(10)).toEqual([undefined, undefined, undefined, undefined, [10, 11, 12, 13, 14], undefined, undefined, undefined, undefined, [15, 16, 17, 18, 19]]);
  });

  it('sends speech at once, after the silence held before it', () => {
    const batcher = batcherOnLine(100);
    const sent = feed(batcher, [...Array(12).fill(SILENT), SPEECH, SPEECH]);
    expect(sent.slice(10)).toEqual([undefined, undefined, [10, 11, 12], [13]]);
  });

  it('learns the line noise, and counts a frame 6 dB or more above it as not silence', () => {
    const batcher = batcherOnLine(100);
    const sent = feed(batcher, Array(300).fill(-70));
    expect(sent.slice(0, 100).every((s) => s?.length === 1)).toBe(true);
    expect(sent.slice(-5).filter((s) => s === undefined)).toHaveLength(4);
    batcher.flush();
    feed(batcher, Array(2).fill(-70));
    expect(batcher.frame(frame(11), -65, 20, true)).toBeUndefined();
    expect(chunks(batcher.frame(frame(12), -63, 20, true)!)).toEqual([0, 1, 11, 12]);
  });

  it('never counts a frame above -50 dBFS as silence, however noisy the line has been', () => {
    const batcher = batcherOnLine(100);
    feed(batcher, Array(300).fill(-48));
    expect(batcher.frame(frame(1), -48, 20, true)).toHaveLength(160);
  });

  it('starts holding again only after 200 ms of quiet', () => {
    const batcher = batcherOnLine(100);
    const sent = feed(batcher, [...Array(10).fill(SILENT), SPEECH, ...Array(11).fill(SILENT)]);
    expect(sent.slice(10, 21).every((s) => s?.length === 1)).toBe(true);
    expect(sent[21]).toBeUndefined();
  });

  it('holds nothing while the call says silence must not wait', () => {
    const sent = feed(batcherOnLine(100), Array(20).fill(SILENT), false);
    expect(sent.every((s) => s?.length === 1)).toBe(true);
  });

  it('holds nothing when a batch is one frame long', () => {
    const sent = feed(batcherOnLine(20), Array(20).fill(SILENT));
    expect(sent.every((s) => s?.length === 1)).toBe(true);
  });

  it('gives up what it holds on a flush, once', () => {
    const batcher = batcherOnLine(100);
    feed(batcher, Array(12).fill(SILENT));
    expect(chunks(batcher.flush()!)).toEqual([10, 11]);
    expect(batcher.flush()).toBeUndefined();
  });
});
