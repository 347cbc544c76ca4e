import type { RealtimeFunctionTool } from 'openai/resources/realtime/realtime';
import type { Config } from '../config';
import { BUILTIN_NAMES, builtinTools, type BuiltinTool, type ToolAction } from './builtins';
import { definitionOf, type CallContext, type Tool, type ToolDefinition } from './define';

export type ToolSettings = Pick<Config['tools'], 'timeoutMs' | 'maxOutputBytes' | 'disabled' | 'transfer'>;

/**
 * What running a tool came to. `result`: send `output` back as the function_call_output (ok: false when the tool
 * failed, timed out or got bad arguments; the output then says so to the model). The others: the call acts.
 */
export type ToolOutcome = { kind: 'result'; ok: boolean; output: string; ms: number } | ToolAction;

/** The timer's abort reason, told apart from the call ending. */
const TIMED_OUT = Symbol('timed out');

const errors = {
  timedOut: "It took too long and was stopped. Tell the caller you couldn't get that right now.",
  failed: "Something went wrong. Tell the caller you couldn't do that right now.",
  callEnded: 'The call ended.',
};

/** The tools offered to the model in every call, and the one way to run them. */
export class ToolRegistry {
  private readonly tools = new Map<string, Tool | BuiltinTool>();
  private readonly defined: ToolDefinition[];

  constructor(
    private readonly settings: ToolSettings,
    custom: Tool[] = [],
    private readonly clock: () => Date = () => new Date(),
  ) {
    const all = [...builtinTools(settings.transfer), ...custom];
    // A built-in not offered by these settings may still be named: transfer_call without a number.
    const known = new Set([...BUILTIN_NAMES, ...all.map((tool) => tool.name)]);
    const unknown = settings.disabled.filter((name) => !known.has(name));
    if (unknown.length > 0) {
      throw new Error(`DISABLED_TOOLS names no such tool: ${unknown.join(', ')} (tools: ${[...known].join(', ')})`);
    }
    for (const tool of all) {
      if (this.tools.has(tool.name)) throw new Error(`Two tools are named ${tool.name}`);
      if (!settings.disabled.includes(tool.name)) this.tools.set(tool.name, tool);
    }
    this.defined = [...this.tools.values()].map(definitionOf);
  }

  /** What the model is told about each tool offered. */
  definitions(): readonly ToolDefinition[] {
    return this.defined;
  }

  /**
   * Runs a function call from the model. Never throws and never outlives the timeout: failures come back as
   * results the model can talk about.
   */
  async run(name: string, argumentsJson: string, call: CallContext): Promise<ToolOutcome> {
    const started = Date.now();
    const result = (ok: boolean, value: unknown): ToolOutcome => ({
      kind: 'result',
      ok,
      output: capped(serialized(value), this.settings.maxOutputBytes),
      ms: Date.now() - started,
    });

    const tool = this.tools.get(name);
    if (!tool) return result(false, { error: `There is no tool named ${name}.` });
    let input: unknown;
    try {
      // Tools without parameters may be called with no arguments at all.
      input = argumentsJson.trim() === '' ? {} : JSON.parse(argumentsJson);
    } catch {
      return result(false, { error: 'The arguments are not valid JSON.' });
    }
    const parsed = tool.parameters.safeParse(input);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => (i.path.length > 0 ? `${i.path.join('.')}: ` : '') + i.message);
      return result(false, { error: `Invalid arguments: ${issues.join('; ')}` });
    }
    if ('action' in tool) return tool.action(parsed.data);
    if (call.signal.aborted) return result(false, { error: errors.callEnded });

    const stop = new AbortController();
    const stopped = new Promise<never>((_, reject) => {
      stop.signal.addEventListener('abort', () => reject(stop.signal.reason), { once: true });
    });
    const onCallEnd = () => stop.abort(call.signal.reason);
    call.signal.addEventListener('abort', onCallEnd, { once: true });
    const timer = setTimeout(() => stop.abort(TIMED_OUT), this.settings.timeoutMs);
    try {
      const ctx = { ...call, signal: stop.signal, now: this.clock() };
      const value = await Promise.race([Promise.resolve().then(() => tool.handler(parsed.data, ctx)), stopped]);
      return result(true, value);
    } catch (err) {
      if (stop.signal.reason === TIMED_OUT) {
        call.log.warn('tool timed out', { tool: name, callSid: call.callSid, timeoutMs: this.settings.timeoutMs });
        return result(false, { error: errors.timedOut });
      }
      if (stop.signal.aborted) return result(false, { error: errors.callEnded });
      const error = err instanceof Error ? err.message : String(err);
      call.log.warn('tool failed', { tool: name, callSid: call.callSid, error });
      return result(false, { error: errors.failed });
    } finally {
      clearTimeout(timer);
      call.signal.removeEventListener('abort', onCallEnd);
    }
  }
}

/** The registry's tools in the shape session.update takes. */
export function sessionTools(registry: ToolRegistry): RealtimeFunctionTool[] {
  return registry.definitions().map((definition) => ({ type: 'function', ...definition }));
}

/** A string as is; anything else as JSON, and nothing (undefined, a function) as {"ok":true}. */
function serialized(value: unknown): string {
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? JSON.stringify({ ok: true }));
}

/** Cuts text to at most maxBytes of UTF-8, the marker at its end included. */
export function capped(text: string, maxBytes: number): string {
  const bytes = Buffer.byteLength(text);
  if (bytes <= maxBytes) return text;
  const marker = `…[truncated: the output was ${bytes} bytes]`;
  // A character split at the cut decodes as U+FFFD: drop it.
  const head = Buffer.from(text).subarray(0, Math.max(0, maxBytes - Buffer.byteLength(marker))).toString('utf8');
  return head.replace(/\uFFFD+$/, '') + marker;
}
