import { PlaybackTracker } from '../../src/call';

/** Sends `chunks` chunks of `ms` each for one item and returns their mark names. */
function send(tracker: PlaybackTracker, responseId: string, itemId: string, chunks: number, ms = 40): string[] {
  return Array.from({ length: chunks }, () => tracker.sent(responseId, itemId, ms));
}

describe('PlaybackTracker', () => {
  it('counts heard milliseconds from acknowledged marks only', () => {
    const tracker = new PlaybackTracker();
    const marks = send(tracker, 'resp_1', 'item_A', 5);
    expect(tracker.isPlaying).toBe(true);
    expect(tracker.heardMs('item_A')).toBe(0);
    tracker.acknowledged(marks[0]);
    tracker.acknowledged(marks[1]);
    expect(tracker.heardMs('item_A')).toBe(80);
    marks.slice(2).forEach((m) => tracker.acknowledged(m));
    expect(tracker.heardMs('item_A')).toBe(200);
    expect(tracker.isPlaying).toBe(false);
  });

  it('gives every mark a unique name', () => {
    const tracker = new PlaybackTracker();
    const names = [...send(tracker, 'r1', 'a', 3), ...send(tracker, 'r2', 'b', 3)];
    expect(new Set(names).size).toBe(6);
  });

  it('ignores unknown and repeated mark echoes', () => {
    const tracker = new PlaybackTracker();
    const [first] = send(tracker, 'r1', 'a', 2);
    expect(tracker.acknowledged('not-ours')).toBeUndefined();
    expect(tracker.acknowledged(first)).toBe('a');
    expect(tracker.acknowledged(first)).toBeUndefined();
    expect(tracker.heardMs('a')).toBe(40);
  });

  it('on interrupt truncates at what was heard and ignores the echoes the clear causes', () => {
    const tracker = new PlaybackTracker();
    const marks = send(tracker, 'resp_1', 'item_A', 10, 40.5);
    marks.slice(0, 3).forEach((m) => tracker.acknowledged(m));
    const truncations = tracker.interrupt('resp_1');
    expect(truncations).toEqual([{ itemId: 'item_A', audioEndMs: 121, sentMs: 405 }]);
    expect(Number.isInteger(truncations[0].audioEndMs)).toBe(true);
    expect(tracker.isPlaying).toBe(false);
    // Twilio echoes every cleared mark at once: that is not playback.
    for (const m of marks.slice(3)) expect(tracker.acknowledged(m)).toBeUndefined();
    expect(tracker.heardMs('item_A')).toBe(121);
  });

  it('drops late deltas of the interrupted response until it is done', () => {
    const tracker = new PlaybackTracker();
    send(tracker, 'resp_1', 'item_A', 3);
    tracker.interrupt('resp_1');
    expect(tracker.isDropped('resp_1')).toBe(true);
    expect(tracker.isDropped('resp_2')).toBe(false);
    tracker.responseDone('resp_1');
    expect(tracker.isDropped('resp_1')).toBe(false);
  });

  it('drops a still-generating response even if none of its audio was sent yet', () => {
    const tracker = new PlaybackTracker();
    send(tracker, 'resp_1', 'item_A', 3);
    expect(tracker.interrupt('resp_2')).toHaveLength(1);
    expect(tracker.isDropped('resp_2')).toBe(true);
  });

  it('truncates an item that never started playing at 0, and leaves fully heard items alone', () => {
    const tracker = new PlaybackTracker();
    send(tracker, 'r1', 'heard', 2).forEach((m) => tracker.acknowledged(m));
    send(tracker, 'r2', 'queued', 2);
    expect(tracker.interrupt()).toEqual([{ itemId: 'queued', audioEndMs: 0, sentMs: 80 }]);
    expect(tracker.isDropped('r1')).toBe(false);
  });

  it('knows when everything sent of an item has played', () => {
    const tracker = new PlaybackTracker();
    const marks = send(tracker, 'r1', 'a', 2);
    expect(tracker.isPlayedOut('a')).toBe(false);
    tracker.acknowledged(marks[0]);
    expect(tracker.isPlayedOut('a')).toBe(false);
    tracker.acknowledged(marks[1]);
    expect(tracker.isPlayedOut('a')).toBe(true);
    tracker.sent('r1', 'a', 40);
    expect(tracker.isPlayedOut('a')).toBe(false);
    tracker.interrupt();
    expect(tracker.isPlayedOut('a')).toBe(true);
    expect(tracker.isPlayedOut('unknown')).toBe(false);
  });

  it('has nothing to interrupt once everything played', () => {
    const tracker = new PlaybackTracker();
    send(tracker, 'r1', 'a', 2).forEach((m) => tracker.acknowledged(m));
    expect(tracker.isPlaying).toBe(false);
    expect(tracker.interrupt()).toEqual([]);
  });

  it('continues an item across deltas: positions are cumulative per item', () => {
    const tracker = new PlaybackTracker();
    send(tracker, 'r1', 'a', 2);
    const later = tracker.sent('r1', 'a', 40);
    expect(later).toMatch(/^a:120:/);
    tracker.acknowledged(later);
    expect(tracker.heardMs('a')).toBe(120);
  });
});
