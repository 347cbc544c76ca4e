import { Writable } from 'node:stream';
import winston from 'winston';
import { loadConfig } from '../src/config';
import { createLogger, personalLevel } from '../src/log';

function capture(format: 'json' | 'pretty', secrets: string[], level: 'debug' | 'info' = 'debug') {
  const lines: string[] = [];
  const log = createLogger({ level, format }, secrets);
  log.clear().add(new winston.transports.Stream({ stream: new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) }) }));
  return { log, lines };
}

describe('createLogger', () => {
  it('writes one JSON object per line in json format, with child fields', () => {
    const { log, lines } = capture('json', []);
    log.child({ callSid: 'CA1', streamSid: 'MZ1' }).info('call started', { from: '+1555' });
    expect(JSON.parse(lines[0])).toMatchObject({ level: 'info', message: 'call started', callSid: 'CA1', streamSid: 'MZ1', from: '+1555', timestamp: expect.any(String) });
  });

  it('never writes a secret, wherever it appears', () => {
    const { log, lines } = capture('json', ['sk-secret-key-123', 'twilio-token-456']);
    log.warn('model error sk-secret-key-123', { cause: 'Bearer sk-secret-key-123', token: 'twilio-token-456' });
    log.error(new Error('failed with twilio-token-456'));
    const all = lines.join('\n');
    expect(all).not.toMatch(/sk-secret-key-123|twilio-token-456/);
    expect(all).toContain('model error ***');
  });

  it('masks secrets however deep they are, and in nested errors\' messages, stacks and causes', () => {
    const { log, lines } = capture('json', ['sk-secret-key-123']);
    const cause = new Error('socket said Bearer sk-secret-key-123');
    const error = Object.assign(new Error('upstream refused sk-secret-key-123', { cause }), { code: 'E_AUTH' });
    const fields = { nested: { deep: ['header: sk-secret-key-123', { url: 'wss://x/?key=sk-secret-key-123' }] }, error };
    log.error('model error', fields);
    log.warn('retrying', { attempts: [{ error }] });
    expect(lines.join('\n')).not.toContain('sk-secret-key-123');
    const entry = JSON.parse(lines[0]);
    expect(entry.nested).toEqual({ deep: ['header: ***', { url: 'wss://x/?key=***' }] });
    expect(entry.error).toMatchObject({ name: 'Error', message: 'upstream refused ***', code: 'E_AUTH', cause: { message: 'socket said Bearer ***' } });
    expect(entry.error.stack).toMatch(/^Error: upstream refused \*\*\*\n\s+at /);
    // The caller's objects are left as they were.
    expect(fields.nested.deep[0]).toBe('header: sk-secret-key-123');
  });

  it('writes cyclic and very deep fields without failing', () => {
    const { log, lines } = capture('json', ['sk-secret-key-123']);
    const cyclic: Record<string, unknown> = { name: 'sk-secret-key-123' };
    cyclic.self = cyclic;
    let deep: unknown = 'sk-secret-key-123';
    for (let i = 0; i < 50; i++) deep = { deeper: deep };
    log.info('odd shapes', { cyclic, deep, at: new Date(0) });
    const entry = JSON.parse(lines[0]);
    expect(entry.cyclic).toEqual({ name: '***', self: '[circular]' });
    expect(JSON.stringify(entry.deep)).toContain('[too deep]');
    expect(entry.at).toBe('1970-01-01T00:00:00.000Z');
  });

  it('writes personal data at info only when transcripts are on, else at debug', () => {
    const configured = (env: NodeJS.ProcessEnv) => personalLevel(loadConfig({ OPENAI_API_KEY: 'sk-test', ...env }).log);
    expect(configured({})).toBe('debug');
    expect(configured({ LOG_TRANSCRIPTS: 'false' })).toBe('debug');
    expect(configured({ LOG_TRANSCRIPTS: 'true' })).toBe('info');
    const { log, lines } = capture('json', [], 'info');
    log.log(personalLevel({ transcripts: false }), 'caller said', { text: 'my card number is…' });
    expect(lines).toEqual([]);
    log.log(personalLevel({ transcripts: true }), 'caller said', { text: 'hello' });
    expect(JSON.parse(lines[0])).toMatchObject({ level: 'info', message: 'caller said', text: 'hello' });
  });

  it('writes readable lines in pretty format', () => {
    const { log, lines } = capture('pretty', []);
    log.info('call ended', { reason: 'caller hung up' });
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} .*info.* call ended \{"reason":"caller hung up"\}/);
  });
});
