import { fakeCall } from '../support/fakeCall';

/** The call's policy, driven through tiny fakes of both sockets with fake timers: milliseconds per case. */
describe('a call (policy, with fake sockets)', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  /** A call whose model session is ready and has greeted; returns its fakes. */
  function readyCall(env: NodeJS.ProcessEnv = {}) {
    const call = fakeCall({ AGENT_GREETING: '', ...env });
    call.twilio.start();
    call.model().becomeReady();
    return call;
  }

  it('keeps only a short lead of a long answer at Twilio, so a barge-in clears few marks and the call goes on', () => {
    const call = readyCall();
    const { twilio } = call;
    const model = call.model();
    model.responseCreated('r1');
    model.audio('r1', 'a', 60_000); // a minute of speech, generated at once
    expect(twilio.mediaMs()).toBeLessThanOrEqual(1000);
    for (let i = 0; i < 75; i++) twilio.playMarks(1); // 3 s played, 40 ms at a time
    expect(twilio.mediaMs()).toBeLessThanOrEqual(4000);

    model.speechStarted();
    expect(twilio.clears()).toBe(1);
    twilio.echoCleared(); // every pending mark at once
    model.responseDone('r1', 'cancelled');
    expect(twilio.closed).toBeUndefined();
    expect(model.truncations()).toEqual([{ item_id: 'a', audio_end_ms: 3000 }]);

    model.speechStopped();
    model.responseCreated('r2');
    model.audio('r2', 'b', 400);
    twilio.playMarks();
    expect(call.session.ids.callSid).toBe('CA123');
    expect(call.ended).toEqual([]);
  });

  it('does not count the echoes of its own marks as a flood, however many arrive at once', () => {
    const call = readyCall();
    const model = call.model();
    model.responseCreated('r1');
    model.audio('r1', 'a', 1000);
    // Twilio echoes each mark it was sent, once; 600 messages in one second are fine when they are ours.
    for (let i = 0; i < 24; i++) {
      model.audio('r1', 'a', 40);
      call.twilio.playMarks();
    }
    for (let i = 0; i < 450; i++) call.twilio.media(20, i * 20);
    expect(call.twilio.closed).toBeUndefined();
    for (let i = 0; i < 60; i++) call.twilio.frame({ event: 'mark', sequenceNumber: '9', streamSid: 'MZ123', mark: { name: `forged-${i}` } });
    expect(call.twilio.closed).toEqual({ code: 1008, reason: 'message flood' });
  });

  it('drops a response the caller talks into before any of it plays, and makes the model forget it', () => {
    const call = readyCall();
    const model = call.model();
    model.responseCreated('r1');
    model.speechStarted(); // nothing is playing yet
    model.audio('r1', 'late', 400);
    model.audio('r1', 'late', 400);
    expect(call.twilio.mediaMs()).toBe(0);
    expect(model.truncations()).toEqual([{ item_id: 'late', audio_end_ms: 0 }]);
  });

  it('never speaks a queued instruction over a caller who took the turn', () => {
    const call = readyCall({ MAX_CALL_SECONDS: '120', IDLE_TIMEOUT_SECONDS: '3600' });
    const model = call.model();
    model.responseCreated('r1');
    model.audio('r1', 'a', 2000);
    jest.advanceTimersByTime(90_000); // the near-the-limit warning is due, while r1 is running
    expect(model.requests()).toEqual([]);
    model.speechStarted(); // the caller barges in; the server cancels r1
    model.responseDone('r1', 'cancelled');
    expect(model.requests()).toEqual([]);
    model.speechStopped();
    expect(model.requests()).toEqual([]);
    model.responseCreated('r2'); // the model answers the caller first
    model.responseDone('r2');
    expect(model.requests()).toEqual([expect.stringContaining('end in a moment')]);
  });

  it('drops the idle check once the caller speaks, and runs no idle clock while they talk', () => {
    const call = readyCall({ IDLE_TIMEOUT_SECONDS: '10' });
    const model = call.model();
    model.speechStarted();
    jest.advanceTimersByTime(60_000);
    expect(model.requests()).toEqual([]);
    model.speechStopped();
    jest.advanceTimersByTime(10_000);
    expect(model.requests()).toEqual([expect.stringContaining('still there')]);
  });

  it('says the goodbye even if the model starts a response of its own just as it is asked for', () => {
    const call = readyCall({ IDLE_TIMEOUT_SECONDS: '10' });
    const model = call.model();
    jest.advanceTimersByTime(10_000); // idle check
    model.responseCreated('r1');
    model.responseDone('r1');
    jest.advanceTimersByTime(5_000); // no answer: goodbye
    expect(model.requests()).toHaveLength(2);
    // The server's own response (answering a noise) started just before our request reached it.
    model.responseCreated('r-auto');
    model.error('conversation_already_has_active_response');
    model.audio('r-auto', 'x', 200);
    model.responseDone('r-auto');
    call.twilio.playMarks();
    expect(call.ended).toEqual([]);
    expect(model.requests()).toHaveLength(3);
    expect(model.requests()[2]).toContain('goodbye');
    model.responseCreated('r-bye');
    model.audio('r-bye', 'bye', 800);
    model.responseDone('r-bye');
    expect(call.ended).toEqual([]);
    call.twilio.playMarks();
    expect(call.ended).toEqual(['idle-timeout']);
  });

  it('asks for the greeting first and does not let audio buffered while connecting cancel it', () => {
    const call = fakeCall({ AGENT_GREETING: 'Hello there!' });
    call.twilio.start();
    for (let t = 0; t < 600; t += 20) call.twilio.media(20, t); // "hello?" while the model connects
    const model = call.model();
    model.becomeReady();
    expect(model.requests()).toEqual([expect.stringContaining('Hello there!')]);
    expect(model.sent.some((e) => e.type === 'input_audio_buffer.append')).toBe(false);
    call.twilio.media(20, 600);
    expect(model.sent.filter((e) => e.type === 'input_audio_buffer.append')).toHaveLength(1);
  });

  it('replaces a model session that never becomes ready, and apologises within the first-words deadline', () => {
    const call = fakeCall({ AGENT_GREETING: 'Hi!' }, 400);
    call.twilio.start();
    call.model().event({ type: 'session.created', event_id: 'e', session: { type: 'realtime' } } as never); // then silence
    jest.advanceTimersByTime(5_001); // the ready deadline, then an immediate reconnect
    expect(call.models).toHaveLength(2);
    expect(call.models[0].socket.readyState).toBe(3);
    jest.advanceTimersByTime(2_999);
    expect(call.twilio.mediaMs()).toBe(400); // the apology, as soon as the deadline passed
    expect(call.models.every((m) => m.socket.readyState === 3)).toBe(true);
    call.twilio.playMarks();
    expect(call.ended).toEqual(['model-error']);
  });

  it('treats an error answering the session settings as fatal, without retrying them', () => {
    const call = fakeCall({ AGENT_GREETING: 'Hi!' }, 400);
    call.twilio.start();
    const model = call.model();
    model.event({ type: 'session.created', event_id: 'e', session: { type: 'realtime' } } as never);
    model.error('invalid_value', "Invalid value: 'marine'.");
    expect(call.models).toHaveLength(1);
    expect(call.twilio.mediaMs()).toBe(400);
  });

  it('notices a model socket that stops answering pings, and reconnects', () => {
    const call = readyCall();
    call.model().socket.answersPings = false;
    jest.advanceTimersByTime(20_001); // a ping unanswered for a whole interval, then an immediate reconnect
    expect(call.models).toHaveLength(2);
  });

  it('closes a stream that never sends start', () => {
    const call = fakeCall();
    jest.advanceTimersByTime(4_999);
    expect(call.twilio.closed).toBeUndefined();
    jest.advanceTimersByTime(1);
    expect(call.twilio.closed).toEqual({ code: 1008, reason: 'no start message within 5000 ms' });
    expect(call.models).toHaveLength(0);
  });
});
