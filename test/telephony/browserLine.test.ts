import { EventEmitter } from 'node:events';
import { BrowserLine, type LineEvents, type LineStart } from '../../src/telephony';

/** The part of express-ws's socket the line uses. */
class FakeSocket extends EventEmitter {
  readyState = 1;
  readonly sent: any[] = [];
  closed: { code?: number; reason?: string } | undefined;

  send(data: string): void {
    this.sent.push(JSON.parse(data));
  }
  close(code?: number, reason?: string): void {
    this.closed ??= { code, reason };
    this.readyState = 3;
    this.emit('close');
  }
  terminate(): void {
    this.close(1006);
  }
  ping(): void {
    queueMicrotask(() => this.emit('pong'));
  }
  frame(message: object | string): void {
    // As ws hands a text frame over.
    this.emit('message', Buffer.from(typeof message === 'string' ? message : JSON.stringify(message)), false);
  }
}

const START = {
  event: 'start',
  sequenceNumber: '1',
  streamSid: 'MZ1',
  start: {
    accountSid: '',
    streamSid: 'MZ1',
    callSid: 'WEB1',
    tracks: ['inbound', 'outbound'],
    mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
    // What a page might claim about itself: never believed.
    customParameters: { token: 'ticket', from: '+15550001111', direction: 'inbound' },
  },
};

const sockets: FakeSocket[] = [];

function line(options: { admitted?: boolean; userAgent?: string } = {}) {
  const socket = new FakeSocket();
  sockets.push(socket);
  const seen: string[] = [];
  const starts: LineStart[] = [];
  const tokens: Array<string | undefined> = [];
  const events: LineEvents = {
    started: (start) => void starts.push(start),
    audio: (mulaw, at) => void seen.push(`audio ${mulaw.length}@${at}`),
    markPlayed: (name) => void seen.push(`mark ${name}`),
    digit: (digit) => void seen.push(`digit ${digit}`),
    ended: (failure) => void seen.push(`ended${failure ? `: ${failure}` : ''}`),
  };
  const browserLine = new BrowserLine(socket, {
    admit: (start) => {
      tokens.push(start.start.customParameters.token);
      return options.admitted === false ? { ok: false, reason: 'wrong softphone token' } : { ok: true, reachedAt: 7 };
    },
    userAgent: options.userAgent ?? 'Mozilla/5.0 Test',
    startTimeoutMs: 5000,
    keepAliveMs: 10_000,
  });
  browserLine.attach(events);
  return { socket, browserLine, seen, starts, tokens };
}

describe('BrowserLine', () => {
  // A closed socket stops the line's start deadline and keepalive.
  afterEach(() => sockets.splice(0).forEach((socket) => socket.close()));

  it('admits the page with its ticket as a web call from its user agent to the softphone', () => {
    const { socket, starts, tokens } = line({ userAgent: 'x'.repeat(500) });
    socket.frame(START);
    expect(tokens).toEqual(['ticket']);
    expect(starts).toEqual([{ callSid: 'WEB1', streamSid: 'MZ1', from: 'x'.repeat(200), to: 'softphone', direction: 'web', reachedAt: 7 }]);
  });

  it('takes the same media, mark and stop messages as a Twilio line', () => {
    const { socket, seen } = line();
    socket.frame(START);
    socket.frame({ event: 'media', sequenceNumber: '2', streamSid: 'MZ1', media: { track: 'inbound', chunk: '1', timestamp: '0', payload: Buffer.alloc(160, 0xff).toString('base64') } });
    socket.frame({ event: 'mark', sequenceNumber: '3', streamSid: 'MZ1', mark: { name: 'm1' } });
    socket.frame({ event: 'stop', sequenceNumber: '4', streamSid: 'MZ1', stop: { accountSid: '', callSid: 'WEB1' } });
    expect(seen).toEqual(['audio 160@0', 'mark m1', 'ended']);
  });

  it('refuses a page without a good ticket before anything else happens', () => {
    const { socket, seen, starts } = line({ admitted: false });
    socket.frame(START);
    expect(starts).toEqual([]);
    expect(socket.closed).toEqual({ code: 1008, reason: 'stream refused: wrong softphone token' });
    expect(seen).toEqual(['ended: stream refused: wrong softphone token']);
  });

  it('validates every frame like a Twilio line: shapes, order, stream and size', () => {
    const early = line();
    early.socket.frame({ event: 'media', sequenceNumber: '2', streamSid: 'MZ1', media: { track: 'inbound', chunk: '1', timestamp: '0', payload: '' } });
    expect(early.socket.closed).toEqual({ code: 1008, reason: '"media" before start' });
    const wrongStream = line();
    wrongStream.socket.frame(START);
    wrongStream.socket.frame({ event: 'mark', sequenceNumber: '2', streamSid: 'MZ2', mark: { name: 'x' } });
    expect(wrongStream.socket.closed).toEqual({ code: 1008, reason: 'wrong streamSid MZ2' });
    const badFormat = line();
    badFormat.socket.frame({ ...START, start: { ...START.start, mediaFormat: { encoding: 'audio/l16', sampleRate: 48000, channels: 1 } } });
    expect(badFormat.socket.closed?.code).toBe(1008);
    const big = line();
    big.socket.frame('x'.repeat(70_000));
    expect(big.socket.closed?.code).toBe(1009);
  });

  it('tells the page the call as it goes, and closes only after its last words', async () => {
    const { socket, browserLine } = line();
    socket.frame(START);
    browserLine.play(Buffer.from([1, 2]), 'a:1');
    browserLine.hangUp();
    browserLine.show({ event: 'transcript', role: 'agent', text: 'Goodbye.', atMs: 900, interrupted: false, heardMs: 700, spokenMs: 700 });
    browserLine.show({ event: 'ended', reason: 'agent-ended' });
    expect(socket.closed).toBeUndefined();
    await new Promise((r) => setImmediate(r));
    expect(socket.sent).toEqual([
      { event: 'media', streamSid: 'MZ1', media: { payload: Buffer.from([1, 2]).toString('base64') } },
      { event: 'mark', streamSid: 'MZ1', mark: { name: 'a:1' } },
      { event: 'transcript', role: 'agent', text: 'Goodbye.', atMs: 900, interrupted: false, heardMs: 700, spokenMs: 700 },
      { event: 'ended', reason: 'agent-ended' },
    ]);
    expect(socket.closed).toEqual({ code: 1000, reason: 'call ended' });
  });

  it('cannot transfer a browser: the page learns where to, and the line closes', async () => {
    const { socket, browserLine } = line();
    socket.frame(START);
    browserLine.transfer('+14155550101');
    await new Promise((r) => setImmediate(r));
    expect(socket.sent).toEqual([{ event: 'transfer', number: '+14155550101' }]);
    expect(socket.closed?.code).toBe(1000);
  });
});
