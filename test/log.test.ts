import { Writable } from 'node:stream';
import winston from 'winston';
import { createLogger } from '../src/log';

function capture(format: 'json' | 'pretty', secrets: string[]) {
  const lines: string[] = [];
  const log = createLogger({ level: 'debug', format }, secrets);
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

  it('writes readable lines in pretty format', () => {
    const { log, lines } = capture('pretty', []);
    log.info('call ended', { reason: 'caller hung up' });
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} .*info.* call ended \{"reason":"caller hung up"\}/);
  });
});
