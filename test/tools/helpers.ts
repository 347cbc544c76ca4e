import { loadConfig } from '../../src/config';
import type { Logger } from '../../src/log';
import type { CallContext, ToolSettings } from '../../src/tools';

/** The tool settings a minimal configuration gives, with overrides. */
export function toolSettings(overrides: Partial<ToolSettings> = {}): ToolSettings {
  return { ...loadConfig({ OPENAI_API_KEY: 'sk-test' }).tools, ...overrides };
}

/** A logger that records what it was asked to write. */
export function fakeLog(): Logger & { warn: jest.Mock } {
  return { warn: jest.fn(), info: jest.fn(), debug: jest.fn(), error: jest.fn() } as never;
}

export function callContext(overrides: Partial<CallContext> = {}): CallContext {
  return {
    callSid: 'CA0001',
    from: '+14155550100',
    to: '+14155550199',
    signal: new AbortController().signal,
    log: fakeLog(),
    ...overrides,
  };
}
