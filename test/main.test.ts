import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const ROOT = path.join(__dirname, '..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');

/** Runs the real entry point in a child process, in an empty folder (so no .env is read). */
function startMain(env: NodeJS.ProcessEnv) {
  const cwd = mkdtempSync(path.join(tmpdir(), 'agent-main-'));
  const child = spawn(TSX, [path.join(ROOT, 'src', 'main.ts')], {
    cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_FORMAT: 'json', ...env },
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const cleanup = () => rmSync(cwd, { recursive: true, force: true });
  return { child, exited, output: () => output, cleanup };
}

describe('the process', () => {
  it('refuses to start without OPENAI_API_KEY, naming it, with a non-zero exit', async () => {
    const run = startMain({ PORT: '0' });
    expect(await run.exited).toBe(1);
    expect(run.output()).toMatch(/OPENAI_API_KEY is required/);
    run.cleanup();
  });

  it('names every invalid setting at once', async () => {
    const run = startMain({ OPENAI_API_KEY: 'sk-test', PORT: 'x', VAD_SILENCE_MS: '5', TWILIO_SKIP_SIGNATURE_CHECK: 'true', NODE_ENV: 'production', PUBLIC_URL: 'https://a.test', TWILIO_ACCOUNT_SID: `AC${'1'.repeat(32)}`, TWILIO_AUTH_TOKEN: 't' });
    expect(await run.exited).toBe(1);
    expect(run.output()).toMatch(/PORT must be a number/);
    expect(run.output()).toMatch(/VAD_SILENCE_MS must be at least 100/);
    run.cleanup();
  });

  it('starts with only an API key, prints sign-in links, and exits 0 on SIGTERM', async () => {
    const run = startMain({ OPENAI_API_KEY: 'sk-test-secret-key', PORT: '0', DRAIN_TIMEOUT_SECONDS: '1' });
    const deadline = Date.now() + 15_000;
    while (!/calls\?token=/.test(run.output()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(run.output()).toMatch(/"message":"phone agent listening"/);
    expect(run.output()).toMatch(/Twilio calls are refused/);
    expect(run.output()).toMatch(/http:\/\/localhost:\d+\/calls\?token=[\w-]{40,}/);
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(run.output()).toMatch(/"message":"stopped"/);
    expect(run.output()).not.toContain('sk-test-secret-key');
    run.cleanup();
  });
});
