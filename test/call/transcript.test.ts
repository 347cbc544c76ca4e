import { Transcript, cutAtHeard } from '../../src/call';
import type { Turn } from '../../src/store/types';

describe('cutAtHeard', () => {
  const text = 'Our opening hours are nine to five on weekdays.';
  it('keeps everything heard in full, and nothing when nothing was heard', () => {
    expect(cutAtHeard(text, 3000, 3000)).toBe(text);
    expect(cutAtHeard(text, 0, 3000)).toBe('');
  });
  it('cuts proportionally at a word boundary, keeping a word whose start was heard', () => {
    expect(cutAtHeard(text, 1500, 3000)).toBe('Our opening hours are nine');
    expect(cutAtHeard(text, 100, 3000)).toBe('Our');
  });
});

describe('Transcript', () => {
  function conversation() {
    const committed: Turn[] = [];
    return { convo: new Transcript((t) => committed.push(t)), committed };
  }

  it('commits caller turns at the time their speech started', () => {
    const { convo, committed } = conversation();
    convo.callerStartedSpeaking('u1', 1000);
    convo.callerSaid('u1', ' I need help. ', 2500);
    convo.callerSaid('u2', '   ', 2600);
    expect(committed).toEqual([{ role: 'caller', text: 'I need help.', at: 1000, interrupted: false }]);
  });

  it('commits an agent turn only once it has both its transcript and its playback', () => {
    const { convo, committed } = conversation();
    convo.agentAudio('a1', 500, 100, 420);
    convo.agentAudio('a1', 500, 200);
    convo.agentSettled('a1', 500, false); // played out so far, but more audio may come
    expect(committed).toEqual([]);
    convo.agentText('a1', 'Hello there, how can I help?');
    expect(committed).toEqual([]);
    convo.agentSettled('a1', 1000, false);
    expect(committed).toEqual([
      { role: 'agent', text: 'Hello there, how can I help?', at: 100, interrupted: false, heardMs: 1000, spokenMs: 1000, latencyMs: 420 },
    ]);
  });

  it('cuts an interrupted agent turn at the barge-in point, even if the transcript comes after', () => {
    const { convo, committed } = conversation();
    convo.agentAudio('a1', 2000, 100);
    convo.agentSettled('a1', 1000, true);
    convo.agentAudio('a1', 2000, 150); // late audio of the cancelled response: generated, never heard
    convo.agentText('a1', 'one two three four five six seven eight');
    expect(committed).toEqual([
      expect.objectContaining({ role: 'agent', text: 'one two three', interrupted: true, heardMs: 1000, spokenMs: 4000 }),
    ]);
    convo.agentAudio('a1', 100, 200);
    convo.settleAll(() => 0);
    expect(committed).toHaveLength(1);
  });

  it('settles a turn cut off mid-transcript with the words streamed so far', () => {
    const { convo, committed } = conversation();
    convo.agentAudio('a1', 1000, 100);
    convo.agentTextDelta('a1', 'Sure, let me ');
    convo.agentTextDelta('a1', 'check that');
    convo.settleAll(() => 1000);
    expect(committed).toEqual([expect.objectContaining({ text: 'Sure, let me check that', interrupted: false, heardMs: 1000 })]);
  });

  it('commits what was heard of open turns when the call ends, and keeps the history', () => {
    const { convo, committed } = conversation();
    convo.callerSaid('u1', 'Hi', 0);
    convo.agentAudio('a1', 1000, 100);
    convo.agentText('a1', 'Hello and welcome');
    convo.settleAll(() => 400);
    expect(committed[1]).toMatchObject({ role: 'agent', interrupted: true, heardMs: 400, text: 'Hello and' });
    expect(convo.history).toEqual(committed);
  });
});
