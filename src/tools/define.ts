import type { z } from 'zod';
import type { Logger } from '../log';

/** The call a tool runs in, as the call core passes it to `ToolRegistry.run`. */
export interface CallContext {
  callSid: string;
  from: string;
  to: string;
  /** Aborted when the call ends. */
  signal: AbortSignal;
  log: Logger;
}

/** What a handler gets: the call, a signal that also fires on the tool's timeout, and the time of the call. */
export interface ToolContext extends CallContext {
  /** Aborted on the tool's timeout or when the call ends: pass it to fetch() and the like. */
  signal: AbortSignal;
  /** When the model called the tool. */
  now: Date;
}

/**
 * An operator tool. `parameters` describes the arguments to the model (as JSON Schema) and validates them before
 * `handler` runs. The handler's return value goes back to the model: a string as is, anything else as JSON.
 */
export interface Tool<Parameters extends z.ZodObject = z.ZodObject> {
  name: string;
  /** What the tool does and when to use it: the model reads this. */
  description: string;
  parameters: Parameters;
  handler(args: z.output<Parameters>, ctx: ToolContext): unknown;
}

/**
 * Types a tool's handler from its parameters. The tool is returned unchanged and checked by its shape when loaded,
 * so a plain object of that shape works too.
 */
export function defineTool<Parameters extends z.ZodObject>(tool: Tool<Parameters>): Tool<Parameters> {
  return tool;
}

/** Tool names the Realtime API accepts. */
export const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/** JSON Schema of an object, as the model sees a tool's parameters. */
export type JSONSchema = Record<string, unknown>;

export interface ToolDefinition {
  name: string;
  description: string;
  parameters: JSONSchema;
}

/**
 * The definition the model sees. The schema's own converter is used, not this module's zod: a tool module may be
 * loaded with a different copy of zod.
 */
export function definitionOf(tool: Pick<Tool, 'name' | 'description' | 'parameters'>): ToolDefinition {
  const { $schema: _ignored, ...parameters } = tool.parameters.toJSONSchema({ io: 'input' }) as JSONSchema;
  return { name: tool.name, description: tool.description, parameters };
}

/** Why a value is not a usable tool, or undefined when it is. */
export function toolProblem(value: unknown): string | undefined {
  const tool = value as Partial<Tool> | undefined;
  if (typeof tool !== 'object' || tool === null) {
    return 'must export default a tool made with defineTool, or an array of them';
  }
  if (typeof tool.name !== 'string' || !TOOL_NAME.test(tool.name)) {
    return `tool name ${JSON.stringify(tool.name)} must be 1-64 letters, digits, _ or -`;
  }
  if (typeof tool.description !== 'string' || tool.description.trim() === '') {
    return `tool ${tool.name} needs a description`;
  }
  if (typeof tool.handler !== 'function') return `tool ${tool.name} needs a handler function`;
  if (typeof tool.parameters?.safeParse !== 'function' || typeof tool.parameters.toJSONSchema !== 'function') {
    return `tool ${tool.name}: parameters must be a zod object schema, e.g. z.object({})`;
  }
  try {
    if (definitionOf(tool as Tool).parameters.type !== 'object') {
      return `tool ${tool.name}: parameters must be z.object(...)`;
    }
  } catch (err) {
    return `tool ${tool.name}: parameters cannot be described as JSON Schema: ${(err as Error).message}`;
  }
  return undefined;
}
