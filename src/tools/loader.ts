import { existsSync, readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { Config } from '../config';
import { BUILTIN_NAMES } from './builtins';
import { toolProblem, type Tool } from './define';
import { ToolRegistry } from './registry';

/**
 * Running from source (tsx, jest), the runtime already compiles TypeScript: a plain require shares its modules.
 * Running from dist/ under plain node, tsx compiles the tool modules, and what they import from src/, on the fly.
 */
function requireModule(file: string): unknown {
  if (__filename.endsWith('.ts')) return require(file);
  // tsx's package exports are invisible to this project's module resolution ("node"), hence require and a type.
  const tsx = require('tsx/cjs/api') as { require: (id: string, fromFile: string) => unknown };
  return tsx.require(file, __filename);
}

/** Tool modules: .ts and .js files, but not declarations, tests, or helpers whose name starts with _ or a dot. */
const MODULE_FILE = /^[^_.].*\.(ts|js)$/;
const NOT_A_MODULE = /\.(d|test|spec)\.ts$/;

/**
 * Loads every tool module in dir, sorted by file name; a missing folder means no tools. Each module's default
 * export (or module.exports) is one tool or an array of tools. Throws an error naming the file for a module that
 * cannot be loaded, exports something else, or reuses a tool name.
 */
export function loadToolModules(dir: string): Tool[] {
  const root = resolve(dir);
  if (!existsSync(root)) return [];
  const files = readdirSync(root)
    .filter((file) => MODULE_FILE.test(file) && !NOT_A_MODULE.test(file))
    .sort()
    .map((file) => join(root, file));

  const owners = new Map<string, string>(BUILTIN_NAMES.map((name) => [name, 'a built-in tool']));
  return files.flatMap((file) => {
    const where = relative(process.cwd(), file);
    const tools = exportedTools(file, where);
    for (const tool of tools) {
      const owner = owners.get(tool.name);
      if (owner) throw new Error(`Tool module ${where}: the name ${tool.name} is already used by ${owner}`);
      owners.set(tool.name, where);
    }
    return tools;
  });
}

function exportedTools(file: string, where: string): Tool[] {
  let exported: unknown;
  try {
    const mod = requireModule(file) as { default?: unknown } | undefined;
    exported = mod?.default ?? mod;
  } catch (err) {
    throw new Error(`Tool module ${where} cannot be loaded: ${(err as Error).message}`);
  }
  const tools = Array.isArray(exported) ? exported : [exported];
  if (tools.length === 0) throw new Error(`Tool module ${where} exports an empty array`);
  for (const tool of tools) {
    const problem = toolProblem(tool);
    if (problem) throw new Error(`Tool module ${where}: ${problem}`);
  }
  return tools as Tool[];
}

/** The registry for these settings: the built-ins and the operator's tools from settings.dir. */
export function loadToolRegistry(settings: Config['tools']): ToolRegistry {
  return new ToolRegistry(settings, loadToolModules(settings.dir));
}
