/**
 * The agent's tools: what the model is offered and how a function call runs. No sockets here: the call core puts
 * `sessionTools(registry)` in the session, passes each function call to `registry.run`, sends results back to the
 * model and carries out the built-in actions (end_call, transfer_call) itself.
 */
export { defineTool } from './define';
export type { CallContext, JSONSchema, Tool, ToolContext, ToolDefinition } from './define';
export type { ToolAction, TransferTarget } from './builtins';
export { loadToolModules, loadToolRegistry } from './loader';
export { sessionTools, ToolRegistry } from './registry';
export type { ToolOutcome, ToolSettings } from './registry';
