import { CHUNK_MS, Playback } from '../../src/call/playback';

/** A line that keeps what it was handed: chunk lengths (ms) with their marks, and clears. */
function fakeLine() {
  const sent: Array<{ ms: number; mark: string }> = [];
  const line = {
    sent,
    clears: 0,
    send: (chunk: Buffer, mark: string) => sent.push({ ms: chunk.length / 8, mark }),
    clear: () => line.clears++,
    /** Plays the oldest `n` chunks handed over that were not played yet, acknowledging their marks. */
    play(playback: Playback, n: number) {
      for (const { mark } of sent.splice(0, n)) playback.acknowledged(mark);
    },
  };
  return line;
}

const audio = (ms: number) => Buffer.alloc(ms * 8, 0x55);

describe('Playback', () => {
  it('hands the line only a bounded lead, and the rest as playback passes the marks, losing nothing', () => {
    const line = fakeLine();
    const playback = new Playback(line, 200, () => 0);
    playback.play('r1', 'a', audio(1000)); // generated at once, much faster than real time
    expect(line.sent.map((s) => s.ms)).toEqual([40, 40, 40, 40, 40]);
    let heard = 0;
    while (line.sent.length > 0) {
      heard += line.sent[0].ms;
      line.play(playback, 1);
      expect(line.sent.reduce((sum, s) => sum + s.ms, 0)).toBeLessThanOrEqual(200);
    }
    expect(heard).toBe(1000);
    expect(playback.heardMs('a')).toBe(1000);
    expect(playback.isPlaying).toBe(false);
    expect(playback.isPlayedOut('a')).toBe(true);
  });

  it('counts heard milliseconds from acknowledged marks only, in chunks of CHUNK_MS', () => {
    const line = fakeLine();
    const playback = new Playback(line, 10_000, () => 0);
    playback.play('r1', 'a', audio(200));
    expect(line.sent).toHaveLength(200 / CHUNK_MS);
    expect(playback.heardMs('a')).toBe(0);
    line.play(playback, 2);
    expect(playback.heardMs('a')).toBe(80);
    expect(playback.isPlaying).toBe(true);
    line.play(playback, 3);
    expect(playback.heardMs('a')).toBe(200);
    expect(playback.isPlaying).toBe(false);
  });

  it('gives every mark a unique name', () => {
    const line = fakeLine();
    const playback = new Playback(line, 10_000, () => 0);
    playback.play('r1', 'a', audio(120));
    playback.play('r2', 'b', audio(120));
    const names = line.sent.map((s) => s.mark);
    expect(new Set(names).size).toBe(6);
  });

  it('ignores unknown and repeated mark echoes', () => {
    const line = fakeLine();
    const playback = new Playback(line, 10_000, () => 0);
    playback.play('r1', 'a', audio(80));
    const [first] = line.sent.map((s) => s.mark);
    expect(playback.acknowledged('not-ours')).toBeUndefined();
    expect(playback.acknowledged(first)).toBe('a');
    expect(playback.acknowledged(first)).toBeUndefined();
    expect(playback.heardMs('a')).toBe(40);
  });

  it('on interrupt clears the line, truncates at what was heard, and ignores the echoes the clear causes', () => {
    const line = fakeLine();
    const playback = new Playback(line, 400, () => 0);
    playback.play('resp_1', 'item_A', audio(20_000));
    line.play(playback, 3);
    const atLine = line.sent.map((s) => s.mark);
    expect(atLine).toHaveLength(10); // the lead, not 20 s of marks

    const truncations = playback.interrupt();
    expect(truncations).toEqual([{ itemId: 'item_A', audioEndMs: 120, sentMs: 20_000 }]);
    expect(line.clears).toBe(1);
    expect(playback.isPlaying).toBe(false);
    expect(playback.isDropped('resp_1')).toBe(true);
    // The line echoes every cleared mark at once: that is not playback, and nothing more is handed over.
    for (const m of atLine) {
      expect(playback.acknowledged(m)).toBeUndefined();
    }
    expect(playback.heardMs('item_A')).toBe(120);
    expect(line.sent).toHaveLength(10);
  });

  it('does not clear a line that holds nothing, yet truncates audio still waiting here at 0', () => {
    const line = fakeLine();
    const playback = new Playback(line, 80, () => 0);
    playback.play('r1', 'heard', audio(80));
    line.play(playback, 2);
    playback.play('r2', 'queued', audio(80));
    line.sent.length = 0; // pretend the line lost them: nothing outstanding at the line for this test
    expect(playback.interrupt()).toEqual([{ itemId: 'queued', audioEndMs: 0, sentMs: 80 }]);
    expect(playback.isDropped('r1')).toBe(false);
    expect(playback.isDropped('r2')).toBe(true);
  });

  it('drops a response on request, until it is done', () => {
    const playback = new Playback(fakeLine(), undefined, () => 0);
    playback.drop('resp_1');
    expect(playback.isDropped('resp_1')).toBe(true);
    expect(playback.isDropped('resp_2')).toBe(false);
    playback.responseDone('resp_1');
    expect(playback.isDropped('resp_1')).toBe(false);
  });

  it('discards audio of an item never heard, saying once that the model must forget it', () => {
    const line = fakeLine();
    const playback = new Playback(line, undefined, () => 0);
    playback.drop('r1');
    expect(playback.discard('r1', 'x')).toBe(true);
    expect(playback.discard('r1', 'x')).toBe(false);
    expect(line.sent).toEqual([]);
  });

  it('knows when everything generated of an item has played', () => {
    const line = fakeLine();
    const playback = new Playback(line, 40, () => 0);
    playback.play('r1', 'a', audio(80));
    expect(playback.isPlayedOut('a')).toBe(false);
    line.play(playback, 1);
    expect(playback.isPlayedOut('a')).toBe(false); // the second chunk was waiting here
    line.play(playback, 1);
    expect(playback.isPlayedOut('a')).toBe(true);
    playback.play('r1', 'a', audio(40));
    expect(playback.isPlayedOut('a')).toBe(false);
    playback.interrupt();
    expect(playback.isPlayedOut('a')).toBe(true);
    expect(playback.isPlayedOut('unknown')).toBe(false);
  });

  it('stops everything without truncations, leaving each item at what was heard', () => {
    const line = fakeLine();
    const playback = new Playback(line, 80, () => 0);
    playback.play('r1', 'a', audio(400));
    line.play(playback, 1);
    playback.stopAll();
    expect(line.clears).toBe(1);
    expect(playback.isPlaying).toBe(false);
    expect(playback.interrupt()).toEqual([]);
    expect(playback.heardMs('a')).toBe(40);
  });

  it('continues an item across deltas: positions are cumulative per item', () => {
    const line = fakeLine();
    const playback = new Playback(line, 10_000, () => 0);
    playback.play('r1', 'a', audio(80));
    playback.play('r1', 'a', audio(40));
    const last = line.sent[2].mark;
    expect(last).toMatch(/^a:120:/);
    playback.acknowledged(last);
    expect(playback.heardMs('a')).toBe(120);
  });

  it('counts the part of the playing chunk heard since the last echo, never more than the chunk', () => {
    let now = 0;
    const line = fakeLine();
    const playback = new Playback(line, 10_000, () => now);
    playback.play('r1', 'a', audio(120));
    now = 40;
    line.play(playback, 1);
    now = 55;
    expect(playback.interrupt()).toEqual([{ itemId: 'a', audioEndMs: 55, sentMs: 120 }]);

    const capped = new Playback(fakeLine(), 10_000, () => now);
    now = 0;
    capped.play('r2', 'b', audio(120));
    now = 500; // no echo yet: the line stalled, but no more than the first chunk can have played
    expect(capped.interrupt()).toEqual([{ itemId: 'b', audioEndMs: 40, sentMs: 120 }]);
  });

  it('counts no chunk as playing sooner than a frame after it was sent: a line that ran dry starts it on its next frame', () => {
    let now = 0;
    const line = fakeLine();
    const playback = new Playback(line, 10_000, () => now);
    playback.play('r1', 'a', audio(40));
    line.play(playback, 1); // played out: the line is idle
    now = 1000;
    playback.play('r1', 'a', audio(120));
    now = 1015; // it may not have started yet
    expect(playback.interrupt()).toEqual([{ itemId: 'a', audioEndMs: 40, sentMs: 160 }]);

    // The lead was used up: the next chunk leaves only when the one ahead of it is echoed, onto a dry line.
    const dry = fakeLine();
    const tight = new Playback(dry, 40, () => now);
    now = 0;
    tight.play('r2', 'b', audio(120)); // a lead of one chunk: only the first goes
    now = 35;
    dry.play(tight, 1); // its echo sends the second
    now = 60;
    expect(tight.interrupt()).toEqual([{ itemId: 'b', audioEndMs: 45, sentMs: 120 }]);
  });

  /**
   * 200 ms handed at 0 to a line 30 ms away: at the line 15 ms later and playing from its next frame, the first
   * chunk's echo is back at 80.
   */
  function echoedOnceAt80() {
    const clock = { now: 0 };
    const line = { ...fakeLine(), roundTripMs: () => 30 };
    const playback = new Playback(line, 10_000, () => clock.now);
    playback.play('r1', 'a', audio(200));
    clock.now = 80;
    line.play(playback, 1);
    return { playback, clock };
  }

  it('counts on from a round trip before the echo: playback went on while the echo travelled, and goes on while the clear does', () => {
    const { playback, clock } = echoedOnceAt80();
    clock.now = 95;
    // The second chunk has played since 80 - 30, and will have played 45 ms when a clear sent now arrives.
    expect(playback.interrupt()).toEqual([{ itemId: 'a', audioEndMs: 85, sentMs: 200 }]);
  });

  it('counts no more than a round trip past the next mark, whose echo has not come back', () => {
    const { playback, clock } = echoedOnceAt80();
    clock.now = 300; // the line stalled: the second chunk's echo would have been back by 150
    expect(playback.interrupt()).toEqual([{ itemId: 'a', audioEndMs: 40 + 40 + 30, sentMs: 200 }]);
  });

  it('counts a round trip on a line that ran dry no sooner than a frame after each chunk was sent', () => {
    let now = 0;
    const line = { ...fakeLine(), roundTripMs: () => 30 };
    const playback = new Playback(line, 10_000, () => now);
    playback.play('r1', 'a', audio(40));
    now = 80;
    line.play(playback, 1); // played out: the line is idle
    now = 1000;
    playback.play('r1', 'a', audio(120));
    now = 1050;
    expect(playback.interrupt()).toEqual([{ itemId: 'a', audioEndMs: 40 + 30, sentMs: 160 }]);
  });

  it('pauses without giving anything up, and resumes from the first chunk not yet heard', () => {
    let now = 0;
    const line = fakeLine();
    const playback = new Playback(line, 200, () => now);
    playback.play('r1', 'a', audio(400));
    now = 40;
    line.play(playback, 1); // 40 ms heard, the second chunk plays from now
    now = 50;
    const atLine = line.sent.map((s) => s.mark);
    playback.pause();
    expect(line.clears).toBe(1);
    expect(playback.heardMs('a')).toBe(50);
    for (const m of atLine) expect(playback.acknowledged(m)).toBeUndefined(); // the clear's echoes
    expect(playback.isPlaying).toBe(true); // still owed to the caller
    playback.play('r1', 'a', audio(40)); // the model goes on generating meanwhile
    line.sent.length = 0;
    expect(line.sent).toEqual([]);

    playback.resume();
    // The chunk cut at 50 ms is skipped, not repeated: the caller goes on from 80 ms.
    expect(line.sent.map((s) => s.mark)).toEqual([expect.stringMatching(/^a:120:/), expect.stringMatching(/^a:160:/), expect.stringMatching(/^a:200:/), expect.stringMatching(/^a:240:/), expect.stringMatching(/^a:280:/)]);
    while (line.sent.length > 0) line.play(playback, 1);
    expect(playback.heardMs('a')).toBe(440);
    expect(playback.isPlayedOut('a')).toBe(true);
  });

  it('turns a pause into a barge-in: truncated where the pause cut, nothing sent again', () => {
    let now = 0;
    const line = fakeLine();
    const playback = new Playback(line, 200, () => now);
    playback.play('r1', 'a', audio(400)); // to an idle line: playing from a frame after it was sent
    now = 30;
    playback.pause();
    const sentBefore = line.sent.length;
    expect(playback.interrupt()).toEqual([{ itemId: 'a', audioEndMs: 10, sentMs: 400 }]);
    expect(line.clears).toBe(1);
    expect(playback.isPlaying).toBe(false);
    playback.resume();
    expect(line.sent).toHaveLength(sentBefore);
  });
});
