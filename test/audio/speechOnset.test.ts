import { levelDbfs, mulawToPcm16, NoiseFloor, SpeechOnsetDetector } from '../../src/audio';
import { loadFixture } from '../support/fixtures';

/**
 * The local barge-in detector on committed recordings of a call (see test/fixtures/make-echo-fixtures.sh):
 * the agent's voice coming back as echo at 15 dB (bad) and 30 dB (typical) below what was played, line noise,
 * and the caller talking over the agent from 2.5 s.
 */
const FRAME = 160;
const FRAME_MS = 20;
const CALLER_STARTS_AT_MS = 2500;

/** A detector on a line whose noise floor is kept as the call keeps it. */
function detectorOnLine() {
  const detector = new SpeechOnsetDetector();
  const floor = new NoiseFloor();
  return {
    agentPlayed: (dbfs: number, at: number) => detector.agentPlayed(dbfs, at),
    callerFrame(dbfs: number, ms: number, at: number): boolean {
      const onset = detector.callerFrame(dbfs, floor.level, ms, at);
      floor.update(dbfs);
      return onset;
    },
  };
}

/** Plays the agent recording and feeds the line recording frame by frame; returns when onsets fired (ms). */
function run(lineFixture: string): number[] {
  const agent = loadFixture('agent.ulaw');
  const line = loadFixture(lineFixture);
  const detector = detectorOnLine();
  const onsets: number[] = [];
  for (let i = 0; (i + 1) * FRAME <= line.length; i++) {
    const at = i * FRAME_MS;
    const played = agent.subarray(i * FRAME, (i + 1) * FRAME);
    if (played.length === FRAME) detector.agentPlayed(levelDbfs(mulawToPcm16(played)), at);
    const heard = levelDbfs(mulawToPcm16(line.subarray(i * FRAME, (i + 1) * FRAME)));
    // A frame is known once all of it has arrived.
    if (detector.callerFrame(heard, FRAME_MS, at + FRAME_MS)) onsets.push(at + FRAME_MS);
  }
  return onsets;
}

describe('SpeechOnsetDetector', () => {
  it('never mistakes the agent\'s own echo for the caller, at 15 dB or 30 dB below', () => {
    expect(run('line-echo15.ulaw')).toEqual([]);
    expect(run('line-echo30.ulaw')).toEqual([]);
  });

  it('hears the caller talk over the agent within 150 ms, through the echo', () => {
    for (const fixture of ['line-echo15-barge.ulaw', 'line-echo30-barge.ulaw']) {
      const onsets = run(fixture);
      expect(onsets.length).toBeGreaterThan(0);
      expect(onsets.every((at) => at > CALLER_STARTS_AT_MS)).toBe(true);
      expect(onsets[0] - CALLER_STARTS_AT_MS).toBeLessThanOrEqual(150);
    }
  });

  it('ignores steady line noise and needs a run of loud frames', () => {
    const detector = detectorOnLine();
    const onsets = [];
    for (let t = 0; t < 5000; t += 20) if (detector.callerFrame(-50 + (t % 60 === 0 ? 3 : 0), 20, t)) onsets.push(t);
    expect(onsets).toEqual([]);
    expect(detector.callerFrame(-20, 20, 5000)).toBe(false);
    expect(detector.callerFrame(-20, 20, 5020)).toBe(false);
    expect(detector.callerFrame(-20, 20, 5040)).toBe(true);
    expect(detector.callerFrame(-20, 20, 5060)).toBe(false); // once per run
  });
});
