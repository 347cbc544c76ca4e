import type { CallDetail, CallEvent, Turn } from '../../src/store';
import { layoutTimeline, mergeSpans, renderTimeline, SILENCE_MS, tickStepMs } from '../../src/review/timeline';

const T0 = Date.UTC(2025, 4, 1, 14, 0, 0);

type TimelineCall = Pick<CallDetail, 'answeredAt' | 'endedAt' | 'endReason' | 'transcript' | 'events'>;

function call(transcript: Turn[], events: CallEvent[] = [], end: Partial<TimelineCall> = {}): TimelineCall {
  return { answeredAt: T0, endedAt: T0 + 60_000, endReason: 'caller-hung-up', transcript, events, ...end };
}

const agent = (atMs: number, heardMs: number, extra: Partial<Turn> = {}): Turn => ({ role: 'agent', text: 'Of course.', at: T0 + atMs, interrupted: false, heardMs, spokenMs: heardMs, ...extra });
const caller = (atMs: number, text = 'I would like to book a cleaning please'): Turn => ({ role: 'caller', text, at: T0 + atMs, interrupted: false });

describe('the call timeline', () => {
  it('lets an agent turn last what the caller heard of it, and keeps what was produced but never heard', () => {
    const layout = layoutTimeline(call([agent(800, 4000), agent(10_000, 2100, { interrupted: true, spokenMs: 6300 })]));
    expect(layout.speech.map(({ from, to, estimated, producedTo }) => ({ from, to, estimated, producedTo }))).toEqual([
      { from: 800, to: 4800, estimated: false, producedTo: undefined },
      { from: 10_000, to: 12_100, estimated: false, producedTo: 16_300 },
    ]);
  });

  it('ends a caller turn where the reply to it began less its latency; otherwise it estimates, up to their next turn', () => {
    const layout = layoutTimeline(
      call([
        caller(5000),
        agent(9000, 3000, { latencyMs: 700 }),
        caller(20_000, 'one two three four five six seven eight nine ten eleven twelve thirteen'),
        caller(22_000, 'yes'),
        // A reply with no latency on record does not say when the caller stopped.
        agent(30_000, 2000),
      ]),
    );
    const callers = layout.speech.filter((s) => s.role === 'caller');
    expect(callers[0]).toMatchObject({ from: 5000, to: 8300, estimated: false });
    // Thirteen words would take 5 s, but the caller spoke again at 22 s.
    expect(callers[1]).toMatchObject({ from: 20_000, to: 22_000, estimated: true });
    // One word: the shortest guess.
    expect(callers[2]).toMatchObject({ from: 22_000, to: 22_600, estimated: true });
  });

  it('marks where both talked, and the barge-in at the point the caller heard the agent cut, not when it was logged', () => {
    const layout = layoutTimeline(
      call(
        [agent(1000, 5000, { interrupted: true, spokenMs: 9000 }), caller(4500, 'wait wait that is not what I asked for'), agent(12_000, 3000, { interrupted: true, spokenMs: 5000 })],
        [
          { at: T0 + 6400, type: 'barge-in', summary: 'caller interrupted the agent after 5.0 s of 9.0 s sent' },
          // One with no cut turn on record before it: placed where it was logged.
          { at: T0 + 500, type: 'barge-in', summary: 'caller interrupted the agent' },
        ],
      ),
    );
    expect(layout.overlaps).toEqual([{ from: 4500, to: 6000 }]);
    expect(layout.markers.filter((m) => m.kind === 'barge-in').map((m) => m.at)).toEqual([
      500,
      6000,
      // The second cut turn has no event: still marked at its heard point.
      15_000,
    ]);
  });

  it('places tool calls, transfers (a transfer_call, and a call that ended transferred) and the end', () => {
    const layout = layoutTimeline(
      call(
        [agent(1000, 2000)],
        [
          { at: T0 + 3000, type: 'tool-call', summary: 'check_availability → 3 slots', detail: { name: 'check_availability' } },
          { at: T0 + 7000, type: 'tool-call', summary: 'the agent transferred the caller to billing', detail: { name: 'transfer_call' } },
          { at: T0 + 8000, type: 'dtmf', summary: 'pressed 1' },
        ],
        { endedAt: T0 + 9000, endReason: 'transferred' },
      ),
    );
    expect(layout.markers.map((m) => [m.at, m.kind])).toEqual([
      [3000, 'tool'],
      [7000, 'transfer'],
      [9000, 'transfer'],
    ]);
    expect(layoutTimeline(call([agent(1000, 2000)], [], { endedAt: T0 + 4000, endReason: 'agent-ended' })).markers).toEqual([
      { at: 4000, kind: 'end', label: 'ended: agent ended' },
    ]);
  });

  it(`marks silences of ${SILENCE_MS / 1000} s or more, the one before the hang-up too, and no shorter pause`, () => {
    const layout = layoutTimeline(call([agent(800, 3000), caller(6000, 'hello'), agent(8000, 2000, { latencyMs: 500 })], [], { endedAt: T0 + 20_000 }));
    // 3.8 → 6 s is 2.2 s (a pause); 10 → 20 s is silent.
    expect(layout.silences).toEqual([{ from: 10_000, to: 20_000 }]);
    expect(layout.durationMs).toBe(20_000);
  });

  it('covers an open call up to the last thing on record', () => {
    const layout = layoutTimeline(call([agent(800, 3000)], [{ at: T0 + 9000, type: 'tool-call', summary: 'x', detail: { name: 'lookup_order' } }], { endedAt: undefined, endReason: undefined }));
    expect(layout.durationMs).toBe(9000);
    expect(layout.markers.map((m) => m.kind)).toEqual(['tool']);
  });

  it('merges spans that touch or overlap', () => {
    expect(mergeSpans([{ from: 5, to: 8 }, { from: 0, to: 2 }, { from: 2, to: 3 }, { from: 7, to: 9 }])).toEqual([
      { from: 0, to: 3 },
      { from: 5, to: 9 },
    ]);
  });

  it('chooses round tick steps for the length of the call', () => {
    expect(tickStepMs(8000)).toBe(1000);
    expect(tickStepMs(64_000)).toBe(10_000);
    expect(tickStepMs(10 * 60_000)).toBe(120_000);
    expect(tickStepMs(30 * 60_000)).toBe(300_000);
  });

  describe('markup', () => {
    const turns = [agent(800, 4000), caller(5200, 'Hi <script>alert(1)</script>'), agent(10_100, 3000, { latencyMs: 610, interrupted: true, spokenMs: 6000 })];
    const events: CallEvent[] = [{ at: T0 + 13_200, type: 'barge-in', summary: 'cut' }, { at: T0 + 22_000, type: 'tool-call', summary: 'book → ok', detail: { name: 'book' } }];

    it('links each bar and mark to the recording at that moment, when there is one', () => {
      const markup = renderTimeline(call(turns, events), { recordingUrl: '/api/calls/CA1/recording' }).value;
      expect(markup).toContain('href="/api/calls/CA1/recording#t=0.8"');
      expect(markup).toContain('href="/api/calls/CA1/recording#t=5.2"');
      // The barge-in at its heard point: 10.1 s + 3.0 s.
      expect(markup).toContain('href="/api/calls/CA1/recording#t=13.1"');
      expect(markup).toContain('href="/api/calls/CA1/recording#t=22.0"');
      expect(markup.match(/<rect class="speech (caller|agent)/g)).toHaveLength(3);
      expect(markup).toContain('<g class="marker barge-in" data-at="13100">');
      expect(markup).not.toMatch(/<script/);
      expect(markup).toContain('Hi &lt;script&gt;alert(1)&lt;/script&gt;');
    });

    it('has no links without a recording, and nothing for a call where nothing happened', () => {
      expect(renderTimeline(call(turns, events)).value).not.toContain('<a ');
      expect(renderTimeline(call([], [])).value).toBe('');
    });
  });
});
