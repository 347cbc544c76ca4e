import { pcm16ToMulaw } from '../../src/audio';
import { loadConfig } from '../../src/config';
import { fakeCall } from '../support/fakeCall';

/** The call's policy on fake seams, with fake timers: each case runs in milliseconds. */
describe('a call (policy on fake seams)', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  /** A call whose model session is ready; no greeting unless asked for. */
  function readyCall(env: NodeJS.ProcessEnv = {}) {
    const call = fakeCall({ AGENT_GREETING: '', ...env });
    call.line.start();
    call.model.becomeReady();
    return call;
  }

  describe('barge-in', () => {
    it('keeps a short lead of a long answer at the line; talking over it clears, truncates at what was heard, and the call goes on', () => {
      const { line, model, ended } = readyCall();
      model.on.responseStarted('r1');
      model.audio('r1', 'a', 60_000); // a minute of speech, generated at once
      expect(line.bufferedMs).toBeLessThanOrEqual(1000);
      line.playChunks(75); // 3 s heard
      expect(line.bufferedMs).toBeLessThanOrEqual(1000);

      model.on.callerStartedSpeaking('u1');
      expect(line.clears).toBe(1);
      expect(model.truncations).toEqual([{ itemId: 'a', audioEndMs: 3000 }]);
      expect(model.cuts).toBe(1);
      model.audio('r1', 'a', 400); // late audio of the cancelled response
      model.on.responseDone({ id: 'r1', status: 'cancelled' });
      expect(line.queued).toEqual([]);

      model.on.callerStoppedSpeaking();
      model.reply('r2', 'b', 400);
      line.playChunks();
      expect(line.playedMs).toBe(3400);
      expect(ended).toEqual([]);
    });

    it('drops a response the caller talks into before any of it plays, and makes the model forget it', () => {
      const { line, model } = readyCall();
      model.on.responseStarted('r1');
      model.on.callerStartedSpeaking('u1'); // nothing is playing yet
      model.audio('r1', 'late', 400);
      model.audio('r1', 'late', 400);
      expect(line.sentMs).toBe(0);
      expect(line.clears).toBe(0);
      expect(model.truncations).toEqual([{ itemId: 'late', audioEndMs: 0 }]);
    });

    it('leaves playback alone when the caller speaks while nothing plays', () => {
      const { line, model } = readyCall();
      model.reply('r1', 'a', 200);
      line.playChunks();
      model.on.callerStartedSpeaking('u1');
      expect(line.clears).toBe(0);
      expect(model.truncations).toEqual([]);
    });
  });

  describe('what the agent says on its own', () => {
    it('never speaks a queued instruction over a caller who took the turn', () => {
      const { model } = readyCall({ MAX_CALL_SECONDS: '120', IDLE_TIMEOUT_SECONDS: '3600' });
      model.on.responseStarted('r1');
      model.audio('r1', 'a', 2000);
      jest.advanceTimersByTime(90_000); // the near-the-limit warning is due while r1 runs
      expect(model.requests).toEqual([]);
      model.on.callerStartedSpeaking('u1');
      model.on.responseDone({ id: 'r1', status: 'cancelled' });
      model.on.callerStoppedSpeaking();
      expect(model.requests).toEqual([]);
      model.reply('r2', 'b', 300); // the model answers the caller first
      expect(model.requests).toEqual([expect.stringContaining('end in a moment')]);
    });

    it('drops the idle check once the caller speaks, and runs no idle clock while they talk', () => {
      const { model } = readyCall({ IDLE_TIMEOUT_SECONDS: '10' });
      model.on.callerStartedSpeaking('u1');
      jest.advanceTimersByTime(60_000);
      expect(model.requests).toEqual([]);
      model.on.callerStoppedSpeaking();
      jest.advanceTimersByTime(10_000);
      expect(model.requests).toEqual([expect.stringContaining('still there')]);
    });

    it('says the goodbye even if the model starts a response of its own just as it is asked for', () => {
      const { line, model, ended } = readyCall({ IDLE_TIMEOUT_SECONDS: '10' });
      jest.advanceTimersByTime(10_000); // the idle check
      model.reply('r1', 'a', 200);
      line.playChunks();
      jest.advanceTimersByTime(5_000); // no answer: goodbye
      expect(model.requests).toHaveLength(2);
      // The model's own response (answering a noise) started just before our request reached it.
      model.on.responseStarted('r-auto');
      model.on.busy();
      model.audio('r-auto', 'x', 200);
      model.on.responseDone({ id: 'r-auto', status: 'completed' });
      line.playChunks();
      expect(ended).toEqual([]);
      expect(model.requests).toHaveLength(3);
      expect(model.requests[2]).toContain('goodbye');
      model.reply('r-bye', 'bye', 800);
      expect(ended).toEqual([]);
      line.playChunks();
      expect(ended).toEqual(['idle-timeout']);
    });

    it('asks for the greeting first, and audio buffered while connecting does not reach the model', () => {
      const call = fakeCall({ AGENT_GREETING: 'Hello there!' });
      const { line } = call;
      line.start();
      const { model } = call;
      for (let t = 0; t < 600; t += 20) line.say(20, t); // "hello?" while the model connects
      model.becomeReady();
      expect(model.requests).toEqual([expect.stringContaining('Hello there!')]);
      expect(model.appendedMs).toBe(0);
      line.talk(20, 600);
      expect(model.appendedMs).toBe(20);
    });

    it('sends audio buffered during a reconnect, re-seeds what was heard and says sorry', () => {
      const { line, model } = readyCall();
      model.on.callerSaid('u1', 'Hello?', undefined);
      model.reply('r1', 'a', 200, 'Hi, how can I help?');
      line.playChunks();
      model.lose();
      jest.advanceTimersByTime(0);
      expect(model.sessions).toBe(2);
      line.say(400, 1000);
      model.becomeReady();
      expect(model.seeds).toEqual([[expect.objectContaining({ role: 'caller', text: 'Hello?' }), expect.objectContaining({ role: 'agent', text: 'Hi, how can I help?' })]]);
      expect(model.appendedMs).toBe(400);
      expect(model.requests).toEqual([expect.stringContaining('line dropped')]);
    });
  });

  describe('when the model fails', () => {
    it('apologises once no session was ready within the first-words deadline, and ends when the apology was heard', () => {
      const call = fakeCall({ AGENT_GREETING: 'Hi!' }, 400);
      const { line, ended } = call;
      line.start();
      const { model } = call;
      jest.advanceTimersByTime(7_999);
      expect(line.sentMs).toBe(0);
      jest.advanceTimersByTime(1);
      expect(line.sentMs).toBe(400);
      expect(model.closed).toBeGreaterThan(0);
      line.playChunks();
      expect(ended).toEqual(['model-error']);
    });

    it('apologises at once when the model refuses for good, and opens no new session', () => {
      const { line, model } = readyCall();
      model.reply('r1', 'a', 2000);
      line.playChunks(5);
      model.lose('model refused the session settings', false);
      jest.advanceTimersByTime(5_000);
      expect(model.sessions).toBe(1);
      expect(line.clears).toBe(1);
      expect(line.sentMs).toBeGreaterThan(400);
    });

    it('gives up after three reconnects', () => {
      const { model, ended, line } = readyCall();
      for (let i = 0; i < 3; i++) {
        model.lose();
        jest.advanceTimersByTime(2_000);
      }
      expect(model.sessions).toBe(4);
      model.lose();
      jest.advanceTimersByTime(2_000);
      expect(model.sessions).toBe(4);
      line.playChunks();
      expect(ended).toEqual(['model-error']);
    });
  });

  it('records a line failure and ends the call as a protocol error', () => {
    const { session, model, ended, events } = readyCall();
    session.ended('message flood');
    expect(ended).toEqual(['protocol-error']);
    expect(events).toEqual([expect.objectContaining({ type: 'error', summary: 'line failed: message flood' })]);
    expect(model.closed).toBe(1);
  });

  describe('an answering machine', () => {
    it('leaves the message, spoken by the agent, and hangs up once it has played', () => {
      const { session, line, model, ended, events } = readyCall();
      model.reply('r1', 'a', 400);
      session.answeredByMachine('Hi, this is Ada Dental confirming your appointment tomorrow at 3.');
      expect(model.requests).toEqual([expect.stringContaining('confirming your appointment tomorrow at 3.')]);
      model.reply('r2', 'msg', 2000);
      expect(ended).toEqual([]);
      line.playChunks();
      expect(ended).toEqual(['answering-machine']);
      expect(events).toEqual([expect.objectContaining({ summary: 'an answering machine answered: leaving a message' })]);
    });

    it('hangs up at once when there is no message to leave', () => {
      const { session, ended, line } = readyCall();
      session.answeredByMachine(undefined);
      expect(ended).toEqual(['answering-machine']);
      expect(line.hungUp).toBe(true);
    });
  });

  it('opens its conversation once the line admitted the stream, as the persona chosen for the call', () => {
    const call = fakeCall({ AGENT_GREETING: 'Default hello.' }, 400, undefined, (start) => ({
      ...loadConfig({ OPENAI_API_KEY: 'sk-test' }).persona,
      greeting: `Hello ${start.to}, this is a reminder.`,
    }));
    expect(call.model).toBeUndefined();
    call.line.start({ to: '+15550009999' });
    call.model.becomeReady();
    expect(call.model.requests).toEqual([expect.stringContaining('Hello +15550009999, this is a reminder.')]);
  });

  describe("the caller's silence", () => {
    const quiet = (line: ReturnType<typeof readyCall>['line'], fromMs: number, toMs: number) => {
      for (let t = fromMs; t < toMs; t += 20) line.say(20, t);
    };

    it('goes to the model 100 ms at a time once the line has been quiet 200 ms; the caller\'s voice goes at once, after it', () => {
      const { line, model } = readyCall();
      quiet(line, 0, 400);
      expect(model.appends).toEqual([...Array(10).fill(20), 100, 100]);
      quiet(line, 400, 440); // held
      line.talk(20, 440);
      expect(model.appends.slice(12)).toEqual([60]);
      expect(model.appendedMs).toBe(460);
    });

    it('goes frame by frame while the caller has the turn, and what was held goes when the turn opens', () => {
      const { line, model } = readyCall();
      quiet(line, 0, 260); // 3 frames held
      model.on.callerStartedSpeaking('u1');
      expect(model.appends.at(-1)).toBe(60);
      quiet(line, 260, 1000);
      expect(model.appends.slice(-37)).toEqual(Array(37).fill(20));
      model.on.callerStoppedSpeaking();
      quiet(line, 1000, 1100);
      expect(model.appends.at(-1)).toBe(100);
      expect(model.appendedMs).toBe(1100);
    });

    it('goes out before silence the call fills in for a gap in the stream', () => {
      const { line, model } = readyCall();
      quiet(line, 0, 260);
      line.say(20, 500); // 240 ms missing before this frame, which is held in turn
      expect(model.appends.slice(-2)).toEqual([60, 240]);
      expect(model.appendedMs).toBe(500);
    });

    it('goes frame by frame with CALLER_SILENCE_BATCH_MS=20', () => {
      const { line, model } = readyCall({ CALLER_SILENCE_BATCH_MS: '20' });
      quiet(line, 0, 1000);
      expect(model.appends).toEqual(Array(50).fill(20));
    });
  });

  describe('a barge-in heard locally, before the model says so', () => {
    const advance = (ms: number) => jest.advanceTimersByTime(ms);

    it('stops the line within a few frames, and becomes a barge-in cut at that point once the model confirms', () => {
      const { line, model } = readyCall({ LOCAL_BARGE_IN: 'true' });
      model.on.responseStarted('r1');
      model.audio('r1', 'a', 10_000);
      for (let i = 0; i < 50; i++) {
        advance(40);
        line.playChunks(1); // 2 s heard
      }
      line.talk(60, 5000, -20, advance);
      expect(line.clears).toBe(1);
      expect(model.truncations).toEqual([]); // not yet: only the model decides turns
      advance(300); // the model's VAD catches up
      model.on.callerStartedSpeaking('u1');
      // Heard: 2 s acknowledged, plus the chunk that was playing when the line stopped.
      expect(model.truncations).toEqual([{ itemId: 'a', audioEndMs: 2040 }]);
      expect(line.clears).toBe(1);
    });

    it('goes on where it stopped, repeating nothing, when the model hears no speech', () => {
      const { line, model, events } = readyCall({ LOCAL_BARGE_IN: 'true' });
      model.on.responseStarted('r1');
      model.audio('r1', 'a', 4000);
      for (let i = 0; i < 10; i++) {
        advance(40);
        line.playChunks(1);
      }
      line.talk(60, 5000, -20, advance); // a cough
      expect(line.clears).toBe(1);
      advance(1000);
      expect(events).toEqual([expect.objectContaining({ type: 'warning' })]);
      line.playChunks();
      expect(line.playedMs).toBeLessThanOrEqual(4000);
      expect(line.playedMs).toBeGreaterThan(3900);
      expect(model.truncations).toEqual([]);
    });

    it('is not fooled by the agent\'s own voice coming back 15 dB quieter', () => {
      const { line, model } = readyCall({ LOCAL_BARGE_IN: 'true' });
      model.on.responseStarted('r1');
      const loud = pcm16ToMulaw(Int16Array.from({ length: 32_000 }, (_, i) => Math.round(10_000 * Math.sin((2 * Math.PI * 440 * i) / 8000))));
      model.on.agentAudio('r1', 'a', Buffer.from(loud)); // 4 s at -13 dBFS
      for (let i = 0; i < 50; i++) {
        advance(20);
        if (i % 2 === 1) line.playChunks(1);
        line.talk(20, 1000 + i * 20, -13 - 16); // the agent's voice (-13 dBFS), back 16 dB quieter
      }
      expect(line.clears).toBe(0);
    });

    it('does not hold back the next reply when the pause it confirms had nothing left to play', () => {
      const { line, model } = readyCall({ LOCAL_BARGE_IN: 'true' });
      model.reply('r1', 'a', 80);
      advance(40);
      line.playChunks(1); // the last chunk's echo is lost: the line still seems to be playing it
      advance(500);
      line.talk(60, 5000, -20, advance);
      expect(line.clears).toBe(1);
      model.on.callerStartedSpeaking('u1');
      model.on.callerStoppedSpeaking();
      const sentBefore = line.sentMs;
      model.reply('r2', 'b', 400);
      expect(line.sentMs - sentBefore).toBe(400);
    });

    it('can be switched off', () => {
      const { line, model } = readyCall({ LOCAL_BARGE_IN: 'false' });
      model.on.responseStarted('r1');
      model.audio('r1', 'a', 4000);
      line.talk(200, 5000, -20, advance);
      expect(line.clears).toBe(0);
    });
  });
});
