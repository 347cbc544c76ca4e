import { z } from 'zod';
import { defineTool, ToolRegistry } from '../../src/tools';
import { fakeCall } from '../support/fakeCall';

/** What the agent does with its tools, on fake seams: hang up, transfer, keypad, operator tools. */
describe('a call that acts (policy on fake seams)', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  const slow = defineTool({
    name: 'slow_lookup',
    description: 'Never answers in time.',
    parameters: z.object({}),
    handler: (_args, ctx) => new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('aborted')))),
  });
  const broken = defineTool({ name: 'broken', description: 'Always fails.', parameters: z.object({}), handler: () => Promise.reject(new Error('database down')) });
  const lookup = defineTool({
    name: 'lookup_order',
    description: 'Finds an order.',
    parameters: z.object({ orderId: z.string() }),
    handler: ({ orderId }) => ({ orderId, status: 'shipped' }),
  });

  function call(transferNumber?: string) {
    const tools = new ToolRegistry(
      { timeoutMs: 3000, maxOutputBytes: 16_384, disabled: [], transfer: { number: transferNumber, directory: {} } },
      [slow, broken, lookup],
    );
    const c = fakeCall({ AGENT_GREETING: '' }, 400, tools);
    c.line.start();
    c.model.becomeReady();
    return c;
  }
  const settle = () => jest.advanceTimersByTimeAsync(0);

  it('hangs up only once the goodbye said with end_call has been heard', async () => {
    const { line, model, ended } = call();
    model.on.responseStarted('r1');
    model.audio('r1', 'bye', 1600); // "Thanks for calling, goodbye!"
    model.callTool('r1', 'end_call', { reason: 'done' });
    await settle();
    model.on.responseDone({ id: 'r1', status: 'completed' });
    expect(model.toolResults).toEqual([{ callId: 'call_end_call', output: expect.stringContaining('"ok":true') }]);
    line.playChunks(39);
    expect(line.hungUp).toBe(false);
    line.playChunks();
    expect(line.hungUp).toBe(true);
    expect(ended).toEqual(['agent-ended']);
    expect(model.requests).toEqual([]);
  });

  it('asks for a goodbye when end_call came without one', async () => {
    const { line, model, ended } = call();
    model.on.responseStarted('r1');
    model.callTool('r1', 'end_call');
    await settle();
    model.on.responseDone({ id: 'r1', status: 'completed' });
    expect(model.requests).toEqual([expect.stringContaining('goodbye')]);
    model.reply('r2', 'bye', 800);
    line.playChunks();
    expect(ended).toEqual(['agent-ended']);
  });

  it('stays on the line when the caller talks over the goodbye', async () => {
    const { line, model, ended, events } = call();
    model.on.responseStarted('r1');
    model.audio('r1', 'bye', 1600);
    model.callTool('r1', 'end_call');
    await settle();
    model.on.responseDone({ id: 'r1', status: 'completed' });
    line.playChunks(10);
    model.on.callerStartedSpeaking('u1'); // "oh wait, one more thing"
    line.playChunks();
    model.on.callerStoppedSpeaking();
    model.reply('r2', 'a', 400);
    line.playChunks();
    jest.advanceTimersByTime(30_000);
    expect(line.hungUp).toBe(false);
    expect(ended).toEqual([]);
    expect(events).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'note', summary: expect.stringContaining('the call goes on') })]));
  });

  it('transfers once the announcement has been heard, to the configured number', async () => {
    const { line, model, ended, events } = call('+15557654321');
    model.on.responseStarted('r1');
    model.audio('r1', 'announce', 800);
    model.callTool('r1', 'transfer_call', { reason: 'wants a person' });
    await settle();
    model.on.responseDone({ id: 'r1', status: 'completed' });
    expect(line.transferredTo).toBeUndefined();
    line.playChunks();
    expect(line.transferredTo).toBe('+15557654321');
    expect(ended).toEqual(['transferred']);
    expect(events).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'tool-call', summary: expect.stringContaining('+15557654321') })]));
  });

  it('gives a tool\'s result to the model and asks it to answer, after the response that called it', async () => {
    const { model, events } = call();
    model.on.responseStarted('r1');
    model.callTool('r1', 'lookup_order', { orderId: 'A1' });
    await settle();
    expect(model.toolResults).toEqual([{ callId: 'call_lookup_order', output: '{"orderId":"A1","status":"shipped"}' }]);
    expect(model.requests).toEqual([]);
    model.on.responseDone({ id: 'r1', status: 'completed' });
    expect(model.requests).toEqual([undefined]);
    expect(events).toEqual([expect.objectContaining({ type: 'tool-call', summary: expect.stringMatching(/^lookup_order answered in \d+ ms$/) })]);
  });

  it('keeps the call going, audio included, while a tool hangs; the model then hears it failed', async () => {
    const { line, model, ended } = call();
    model.on.responseStarted('r1');
    model.audio('r1', 'a', 400); // "let me check that for you"
    model.callTool('r1', 'slow_lookup');
    model.on.responseDone({ id: 'r1', status: 'completed' });
    line.playChunks();
    expect(line.playedMs).toBe(400);
    await jest.advanceTimersByTimeAsync(3000);
    expect(model.toolResults).toEqual([{ callId: 'call_slow_lookup', output: expect.stringContaining('too long') }]);
    model.callTool('r2', 'broken');
    await settle();
    expect(model.toolResults[1].output).toContain('Something went wrong');
    expect(ended).toEqual([]);
  });

  it('passes a keypad entry to the model as text once the caller pauses, or at #', async () => {
    const { session, model } = call();
    session.digit('1');
    session.digit('2');
    jest.advanceTimersByTime(1499);
    expect(model.notes).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(model.notes).toEqual(['The caller pressed 12 on the phone keypad.']);
    expect(model.requests).toEqual([undefined]);
    session.digit('4');
    session.digit('#');
    expect(model.notes[1]).toBe('The caller pressed 4# on the phone keypad.');
  });

  it('re-seeds a new model session with the tool calls and their outputs, in order', async () => {
    const { line, model } = call();
    model.on.callerSaid('u1', 'Where is order A1?', undefined);
    jest.advanceTimersByTime(10);
    model.on.responseStarted('r1');
    model.callTool('r1', 'lookup_order', { orderId: 'A1' });
    await settle();
    model.on.responseDone({ id: 'r1', status: 'completed' });
    jest.advanceTimersByTime(10);
    model.reply('r2', 'a', 200, 'It has shipped.');
    line.playChunks();
    model.lose();
    jest.advanceTimersByTime(0);
    model.becomeReady();
    expect(model.seeds[0].map((t) => t.role)).toEqual(['caller', 'tool', 'agent']);
    expect(model.seeds[0][1]).toMatchObject({ name: 'lookup_order', output: '{"orderId":"A1","status":"shipped"}' });
  });
});
