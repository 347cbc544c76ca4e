import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { loadToolModules, loadToolRegistry } from '../../src/tools';
import { callContext, toolSettings } from './helpers';

const fixture = (name: string) => join(__dirname, 'fixtures', name);
/** How errors name a file: relative to the working directory. */
const shown = (name: string, file: string) => relative(process.cwd(), join(fixture(name), file));

describe('loadToolModules', () => {
  it('loads the TypeScript and JavaScript modules of a folder in name order, one tool or an array each', () => {
    const tools = loadToolModules(fixture('good'));
    expect(tools.map((t) => t.name)).toEqual(['add', 'double', 'echo', 'ping']);
  });

  it('means no tools for a missing folder', () => {
    expect(loadToolModules(fixture('missing'))).toEqual([]);
  });

  it('gives tools that run, helpers and zod included', async () => {
    const registry = loadToolRegistry({ ...toolSettings(), dir: fixture('good') });
    expect(registry.definitions().map((d) => d.name)).toEqual(['end_call', 'add', 'double', 'echo', 'ping']);
    await expect(registry.run('double', '{"n":21}', callContext())).resolves.toMatchObject({ output: '{"result":42}' });
    await expect(registry.run('ping', '', callContext())).resolves.toMatchObject({ ok: true, output: 'pong' });
    const echo = registry.definitions().find((d) => d.name === 'echo');
    expect(echo?.parameters).toEqual({
      type: 'object',
      properties: { text: { type: 'string', description: 'What to repeat.' } },
      required: ['text'],
    });
  });

  it('names the file of a module that fails to load', () => {
    expect(() => loadToolModules(fixture('broken'))).toThrow(
      `Tool module ${shown('broken', 'broken.ts')} cannot be loaded: database unreachable`,
    );
  });

  it('names the file and the problem of a module that exports no usable tool', () => {
    expect(() => loadToolModules(fixture('bad-export'))).toThrow(
      `Tool module ${shown('bad-export', 'nameless.ts')}: tool name undefined must be 1-64 letters, digits, _ or -`,
    );
    expect(() => loadToolModules(fixture('bad-schema'))).toThrow(
      `Tool module ${shown('bad-schema', 'not-object.ts')}: tool scalar: parameters must be z.object(...)`,
    );
    expect(() => loadToolModules(fixture('empty-array'))).toThrow(
      `Tool module ${shown('empty-array', 'none.ts')} exports an empty array`,
    );
  });

  it('refuses a name used twice, naming both files, and the names of the built-ins', () => {
    expect(() => loadToolModules(fixture('duplicate'))).toThrow(
      `Tool module ${shown('duplicate', 'b.ts')}: the name same is already used by ${shown('duplicate', 'a.ts')}`,
    );
    expect(() => loadToolModules(fixture('builtin-clash'))).toThrow(
      `Tool module ${shown('builtin-clash', 'hangup.ts')}: the name end_call is already used by a built-in tool`,
    );
  });

  it('loads the examples in tools/', () => {
    const examples = loadToolModules(join(__dirname, '../../tools'));
    expect(examples.map((t) => t.name)).toEqual(['get_current_time', 'lookup_order']);
  });

  it('loads TypeScript tool modules under plain node, as the compiled server does', () => {
    const root = join(__dirname, '../..');
    const dist = mkdtempSync(join(tmpdir(), 'tools-dist-'));
    try {
      for (const file of readdirSync(join(root, 'src/tools'))) {
        const source = readFileSync(join(root, 'src/tools', file), 'utf8');
        const compiled = ts.transpileModule(source, {
          compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
        });
        writeFileSync(join(dist, file.replace(/\.ts$/, '.js')), compiled.outputText);
      }
      const script = `
        const { loadToolRegistry } = require(${JSON.stringify(join(dist, 'index.js'))});
        const settings = { dir: 'tools', timeoutMs: 5000, maxOutputBytes: 16384, disabled: [], transfer: { directory: {} } };
        const registry = loadToolRegistry(settings);
        const call = { callSid: 'CA1', from: '', to: '', signal: new AbortController().signal, log: console };
        registry.run('lookup_order', '{"orderId":"51007"}', call).then((outcome) => console.log(outcome.output));
      `;
      const node = spawnSync(process.execPath, ['-e', script], {
        cwd: root,
        env: { ...process.env, NODE_PATH: join(root, 'node_modules') },
        encoding: 'utf8',
      });
      expect(node.stderr).toBe('');
      expect(JSON.parse(node.stdout)).toMatchObject({ found: true, id: '51007', status: 'delivered' });
    } finally {
      rmSync(dist, { recursive: true, force: true });
    }
  });
});
