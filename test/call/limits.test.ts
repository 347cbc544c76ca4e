import { CallLimits } from '../../src/call/limits';

describe('CallLimits', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  function limits(maxCallMs: number, idleTimeoutMs: number) {
    const seen: string[] = [];
    const clock = new CallLimits(
      { maxCallMs, idleTimeoutMs },
      {
        nearMaxDuration: () => seen.push(`near@${Date.now()}`),
        maxDurationReached: () => seen.push(`max@${Date.now()}`),
        idleWarning: () => seen.push(`idle-warning@${Date.now()}`),
        idleReached: () => seen.push(`idle@${Date.now()}`),
      },
    );
    return { clock, seen };
  }

  it('warns 30 s before the maximum duration (a quarter of short calls), then ends', () => {
    jest.setSystemTime(0);
    const { clock, seen } = limits(600_000, 3_600_000);
    clock.start();
    jest.advanceTimersByTime(600_000);
    expect(seen).toEqual(['near@570000', 'max@600000']);
    const short = limits(40_000, 3_600_000);
    short.clock.start();
    jest.advanceTimersByTime(40_000);
    expect(short.seen).toEqual(['near@630000', 'max@640000']);
    short.clock.stop();
    clock.stop();
  });

  it('warns when idle, ends when the warning gets no answer, and starts over when the caller speaks', () => {
    jest.setSystemTime(0);
    const { clock, seen } = limits(3_600_000, 20_000);
    clock.start();
    jest.advanceTimersByTime(20_000);
    expect(seen).toEqual(['idle-warning@20000']);
    clock.callerStartedSpeaking();
    clock.callerStoppedSpeaking();
    jest.advanceTimersByTime(19_000);
    expect(seen).toHaveLength(1);
    jest.advanceTimersByTime(1_000);
    expect(seen).toEqual(['idle-warning@20000', 'idle-warning@40000']);
    jest.advanceTimersByTime(10_000);
    expect(seen).toEqual(['idle-warning@20000', 'idle-warning@40000', 'idle@50000']);
    clock.stop();
  });

  it('postpones idleness while agent audio plays, without forgetting an unanswered warning', () => {
    jest.setSystemTime(0);
    const { clock, seen } = limits(3_600_000, 20_000);
    clock.start();
    jest.advanceTimersByTime(20_000);
    jest.advanceTimersByTime(5_000);
    clock.agentActivity(); // the warning is being spoken
    jest.advanceTimersByTime(9_999);
    expect(seen).toEqual(['idle-warning@20000']);
    jest.advanceTimersByTime(1);
    expect(seen).toEqual(['idle-warning@20000', 'idle@35000']);
    clock.stop();
  });

  it('runs no idle clock while the caller is talking, however long, nor while agent audio plays over them', () => {
    jest.setSystemTime(0);
    const { clock, seen } = limits(3_600_000, 20_000);
    clock.start();
    jest.advanceTimersByTime(15_000);
    clock.callerStartedSpeaking();
    jest.advanceTimersByTime(30_000); // a long story
    clock.agentActivity(); // the tail of a reply still echoing back
    jest.advanceTimersByTime(30_000);
    expect(seen).toEqual([]);
    clock.callerStoppedSpeaking();
    jest.advanceTimersByTime(19_999);
    expect(seen).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(seen).toEqual(['idle-warning@95000']);
    clock.stop();
  });

  it('does nothing once stopped', () => {
    const { clock, seen } = limits(60_000, 10_000);
    clock.start();
    clock.stop();
    clock.callerStoppedSpeaking();
    jest.advanceTimersByTime(120_000);
    expect(seen).toEqual([]);
  });
});
