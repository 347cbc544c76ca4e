import { z } from 'zod';
import { defineTool, sessionTools, ToolRegistry, type ToolOutcome } from '../../src/tools';
import { callContext, fakeLog, toolSettings } from './helpers';

const directory = {
  sales: { number: '+14155550101', description: 'New orders and quotes' },
  support: { number: '+14155550102', description: 'Problems with an order' },
};

const echo = defineTool({
  name: 'echo',
  description: 'Repeats the text.',
  parameters: z.object({ text: z.string().describe('What to repeat.'), times: z.number().int().default(1) }),
  handler: ({ text, times }) => text.repeat(times),
});

function tool(handler: (args: Record<string, never>, ctx: Parameters<typeof echo.handler>[1]) => unknown) {
  return defineTool({ name: 'custom', description: 'A test tool.', parameters: z.object({}), handler });
}

const names = (registry: ToolRegistry) => registry.definitions().map((d) => d.name);
const errorOf = (outcome: ToolOutcome) =>
  outcome.kind === 'result' && (JSON.parse(outcome.output) as { error?: string }).error;

describe('ToolRegistry definitions', () => {
  it('offers end_call alone by default, and the custom tools', () => {
    expect(names(new ToolRegistry(toolSettings()))).toEqual(['end_call']);
    expect(names(new ToolRegistry(toolSettings(), [echo]))).toEqual(['end_call', 'echo']);
  });

  it('describes custom parameters as JSON Schema from the zod schema, as the model provides them', () => {
    const [, definition] = new ToolRegistry(toolSettings(), [echo]).definitions();
    expect(definition).toEqual({
      name: 'echo',
      description: 'Repeats the text.',
      parameters: {
        type: 'object',
        properties: {
          text: { type: 'string', description: 'What to repeat.' },
          times: { type: 'integer', default: 1, minimum: expect.any(Number), maximum: expect.any(Number) },
        },
        required: ['text'],
      },
    });
  });

  it('offers transfer_call to TRANSFER_NUMBER without a destination', () => {
    const registry = new ToolRegistry(toolSettings({ transfer: { number: '+14155550100', directory: {} } }));
    const transfer = registry.definitions().find((d) => d.name === 'transfer_call');
    expect(transfer?.parameters).toMatchObject({ properties: { reason: { type: 'string' } } });
    expect(transfer?.parameters.properties).not.toHaveProperty('destination');
    expect(transfer?.parameters.required).toBeUndefined();
  });

  it('lists the directory: a required destination, or an optional one next to TRANSFER_NUMBER', () => {
    const only = new ToolRegistry(toolSettings({ transfer: { number: undefined, directory } }));
    const transfer = only.definitions().find((d) => d.name === 'transfer_call')!;
    expect(transfer.description).toContain('- sales: New orders and quotes\n- support: Problems with an order');
    expect(transfer.parameters).toMatchObject({
      properties: { destination: { type: 'string', enum: ['sales', 'support'] } },
      required: ['destination'],
    });

    const both = new ToolRegistry(toolSettings({ transfer: { number: '+14155550100', directory } }));
    const optional = both.definitions().find((d) => d.name === 'transfer_call')!;
    expect(optional.parameters.properties).toHaveProperty('destination.enum', ['sales', 'support']);
    expect(optional.parameters.required).toBeUndefined();
  });

  it('switches off any tool named in DISABLED_TOOLS, and refuses names that are no tool', () => {
    const transfer = { number: '+14155550100', directory: {} };
    const registry = new ToolRegistry(toolSettings({ transfer, disabled: ['end_call', 'echo'] }), [echo]);
    expect(names(registry)).toEqual(['transfer_call']);
    expect(names(new ToolRegistry(toolSettings({ disabled: ['transfer_call'] })))).toEqual(['end_call']);
    expect(() => new ToolRegistry(toolSettings({ disabled: ['transfer_call', 'lookup', 'ech'] }), [echo])).toThrow(
      'DISABLED_TOOLS names no such tool: lookup, ech (tools: end_call, transfer_call, echo)',
    );
  });

  it('refuses two tools with one name', () => {
    expect(() => new ToolRegistry(toolSettings(), [echo, echo])).toThrow('Two tools are named echo');
  });

  it('gives the session the SDK function tool shape', () => {
    expect(sessionTools(new ToolRegistry(toolSettings(), [echo]))).toEqual([
      {
        type: 'function',
        name: 'end_call',
        description: expect.stringMatching(/goodbye/),
        parameters: expect.objectContaining({ type: 'object' }),
      },
      {
        type: 'function',
        name: 'echo',
        description: 'Repeats the text.',
        parameters: expect.objectContaining({ required: ['text'] }),
      },
    ]);
  });
});

describe('ToolRegistry.run', () => {
  it('returns built-in actions with their validated arguments, running nothing', async () => {
    const registry = new ToolRegistry(toolSettings({ transfer: { number: '+14155550100', directory } }));
    await expect(registry.run('end_call', '{"reason":"caller said bye"}', callContext())).resolves.toEqual({
      kind: 'end_call',
      reason: 'caller said bye',
    });
    await expect(registry.run('end_call', '', callContext())).resolves.toEqual({ kind: 'end_call', reason: undefined });
    await expect(registry.run('transfer_call', '{"destination":"support"}', callContext())).resolves.toEqual({
      kind: 'transfer_call',
      target: { name: 'support', number: '+14155550102' },
      reason: undefined,
    });
    await expect(registry.run('transfer_call', '{"reason":"wants a person"}', callContext())).resolves.toEqual({
      kind: 'transfer_call',
      target: { name: 'default', number: '+14155550100' },
      reason: 'wants a person',
    });
  });

  it('answers bad arguments with an error result saying what was wrong', async () => {
    const registry = new ToolRegistry(toolSettings({ transfer: { number: undefined, directory } }), [echo]);
    const wrongType = await registry.run('echo', '{"text":42}', callContext());
    expect(wrongType).toMatchObject({ kind: 'result', ok: false });
    expect(errorOf(wrongType)).toMatch(/^Invalid arguments: text: .*expected string/);
    const missing = await registry.run('transfer_call', '{}', callContext());
    expect(errorOf(missing)).toMatch(/^Invalid arguments: destination: /);
    const unknown = await registry.run('transfer_call', '{"destination":"billing"}', callContext());
    expect(errorOf(unknown)).toMatch(/destination: .*"sales"\|"support"/);
    expect(errorOf(await registry.run('echo', '{text:', callContext()))).toBe('The arguments are not valid JSON.');
    expect(errorOf(await registry.run('lookup', '{}', callContext()))).toBe('There is no tool named lookup.');
  });

  it('passes strings through, turns anything else into JSON, and applies parameter defaults', async () => {
    const json = { ...tool(() => ({ n: 1 })), name: 'json' };
    const nothing = { ...tool(() => undefined), name: 'nothing' };
    const registry = new ToolRegistry(toolSettings(), [echo, json, nothing]);
    await expect(registry.run('echo', '{"text":"hi","times":2}', callContext())).resolves.toMatchObject({ output: 'hihi' });
    await expect(registry.run('echo', '{"text":"hi"}', callContext())).resolves.toMatchObject({ output: 'hi' });
    await expect(registry.run('json', '{}', callContext())).resolves.toMatchObject({ ok: true, output: '{"n":1}' });
    await expect(registry.run('nothing', '{}', callContext())).resolves.toMatchObject({ output: '{"ok":true}' });
  });

  it('gives the handler the call, its own signal and the clock', async () => {
    const now = new Date('2026-06-12T09:30:00Z');
    const handler = jest.fn(() => 'done');
    const registry = new ToolRegistry(toolSettings(), [tool(handler)], () => now);
    const outcome = await registry.run('custom', '{}', callContext());
    expect(outcome).toEqual({ kind: 'result', ok: true, output: 'done', ms: expect.any(Number) });
    expect(handler).toHaveBeenCalledWith(
      {},
      expect.objectContaining({ callSid: 'CA0001', from: '+14155550100', now, signal: expect.any(AbortSignal) }),
    );
  });

  it('turns a thrown error, async or not, into a short error result and a warning', async () => {
    for (const handler of [
      () => {
        throw new Error('ECONNREFUSED 10.0.0.5:5432');
      },
      async () => Promise.reject(new Error('ECONNREFUSED 10.0.0.5:5432')),
      () => ({ big: BigInt(1) }),
    ]) {
      const log = fakeLog();
      const outcome = await new ToolRegistry(toolSettings(), [tool(handler)]).run('custom', '{}', callContext({ log }));
      expect(outcome).toMatchObject({ kind: 'result', ok: false });
      expect(errorOf(outcome)).toBe("Something went wrong. Tell the caller you couldn't do that right now.");
      expect(log.warn).toHaveBeenCalledWith('tool failed', { tool: 'custom', callSid: 'CA0001', error: expect.any(String) });
    }
  });

  describe('with fake timers', () => {
    beforeEach(() => jest.useFakeTimers());
    afterEach(() => jest.useRealTimers());

    it('stops a handler at the timeout and aborts its signal', async () => {
      let signal: AbortSignal | undefined;
      const registry = new ToolRegistry(toolSettings({ timeoutMs: 8000 }), [
        tool((_args, ctx) => {
          signal = ctx.signal;
          return new Promise(() => {});
        }),
      ]);
      const log = fakeLog();
      const running = registry.run('custom', '{}', callContext({ log }));
      await jest.advanceTimersByTimeAsync(7999);
      expect(signal?.aborted).toBe(false);
      await jest.advanceTimersByTimeAsync(1);
      const outcome = await running;
      expect(outcome).toEqual({ kind: 'result', ok: false, output: expect.any(String), ms: 8000 });
      expect(errorOf(outcome)).toMatch(/^It took too long/);
      expect(signal?.aborted).toBe(true);
      expect(log.warn).toHaveBeenCalledWith('tool timed out', { tool: 'custom', callSid: 'CA0001', timeoutMs: 8000 });
      expect(jest.getTimerCount()).toBe(0);
    });

    it('stops a handler when the call ends', async () => {
      const call = new AbortController();
      const registry = new ToolRegistry(toolSettings(), [tool(() => new Promise(() => {}))]);
      const running = registry.run('custom', '{}', callContext({ signal: call.signal }));
      call.abort();
      expect(errorOf(await running)).toBe('The call ended.');
      expect(jest.getTimerCount()).toBe(0);

      const handler = jest.fn();
      const late = new ToolRegistry(toolSettings(), [tool(handler)]);
      expect(errorOf(await late.run('custom', '{}', callContext({ signal: call.signal })))).toBe('The call ended.');
      expect(handler).not.toHaveBeenCalled();
    });
  });

  it('caps the output at maxOutputBytes with a marker, never splitting a character', async () => {
    const registry = new ToolRegistry(toolSettings({ maxOutputBytes: 100 }), [tool(() => 'é'.repeat(200))]);
    const outcome = await registry.run('custom', '{}', callContext());
    if (outcome.kind !== 'result') throw new Error('expected a result');
    expect(Buffer.byteLength(outcome.output)).toBeLessThanOrEqual(100);
    expect(outcome.output).toMatch(/^(é)+…\[truncated: the output was 400 bytes\]$/);
    expect(toolSettings().maxOutputBytes).toBe(16_384);
  });
});
