import { EventEmitter } from 'node:events';
import { TwilioLine, type LineEvents, type LineStart } from '../../src/telephony';

/** The part of express-ws's socket the line uses. */
class FakeSocket extends EventEmitter {
  readyState = 1;
  answersPings = true;
  /** How long a pong takes to come back; 0: at once. */
  pongAfterMs = 0;
  readonly sent: any[] = [];
  closed: { code?: number; reason?: string } | undefined;
  terminated = false;

  send(data: string): void {
    this.sent.push(JSON.parse(data));
  }
  close(code?: number, reason?: string): void {
    this.closed ??= { code, reason };
    this.readyState = 3;
    this.emit('close');
  }
  terminate(): void {
    this.terminated = true;
    this.close(1006);
  }
  ping(): void {
    if (!this.answersPings) return;
    if (this.pongAfterMs === 0) queueMicrotask(() => this.emit('pong'));
    else setTimeout(() => this.emit('pong'), this.pongAfterMs);
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
    accountSid: 'AC1',
    streamSid: 'MZ1',
    callSid: 'CA1',
    tracks: ['inbound'],
    mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
    customParameters: { token: 'good', from: '+15550001111', to: '+15550002222', direction: 'inbound' },
  },
};
const mark = (name: string) => ({ event: 'mark', sequenceNumber: '2', streamSid: 'MZ1', mark: { name } });

function line(admitted = true) {
  const socket = new FakeSocket();
  const seen: string[] = [];
  const starts: LineStart[] = [];
  const events: LineEvents = {
    started: (start) => void starts.push(start),
    audio: (mulaw, at) => void seen.push(`audio ${mulaw.length}@${at}`),
    markPlayed: (name) => void seen.push(`mark ${name}`),
    digit: (digit) => void seen.push(`digit ${digit}`),
    ended: (failure) => void seen.push(`ended${failure ? `: ${failure}` : ''}`),
  };
  const twilioLine = new TwilioLine(socket, {
    admit: () => (admitted ? { ok: true, reachedAt: 42 } : { ok: false, reason: 'wrong stream token' }),
    startTimeoutMs: 5000,
    keepAliveMs: 10_000,
    onTransfer: (callSid, number) => void seen.push(`transfer ${callSid} to ${number}`),
  });
  twilioLine.attach(events);
  return { socket, twilioLine, seen, starts };
}

describe('TwilioLine', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('admits a stream and reports who is calling, then its audio, marks, keys and stop', () => {
    const { socket, seen, starts } = line();
    socket.frame({ event: 'connected', protocol: 'Call', version: '1.0.0' });
    socket.frame(START);
    expect(starts).toEqual([{ callSid: 'CA1', streamSid: 'MZ1', from: '+15550001111', to: '+15550002222', direction: 'inbound', reachedAt: 42 }]);
    socket.frame({ event: 'media', sequenceNumber: '3', streamSid: 'MZ1', media: { track: 'inbound', chunk: '1', timestamp: '20', payload: Buffer.alloc(160, 0xff).toString('base64') } });
    socket.frame({ event: 'dtmf', sequenceNumber: '4', streamSid: 'MZ1', dtmf: { track: 'inbound_track', digit: '5' } });
    socket.frame(mark('x'));
    socket.frame({ event: 'stop', sequenceNumber: '5', streamSid: 'MZ1', stop: { accountSid: 'AC1', callSid: 'CA1' } });
    expect(seen).toEqual(['audio 160@20', 'digit 5', 'mark x', 'ended']);
  });

  it('speaks exactly the Media Streams shapes: media then its mark, clear, and hang-up as a normal close', () => {
    const { socket, twilioLine } = line();
    socket.frame(START);
    twilioLine.play(Buffer.from([1, 2, 3]), 'a:1:1');
    twilioLine.clear();
    twilioLine.hangUp();
    expect(socket.sent).toEqual([
      { event: 'media', streamSid: 'MZ1', media: { payload: Buffer.from([1, 2, 3]).toString('base64') } },
      { event: 'mark', streamSid: 'MZ1', mark: { name: 'a:1:1' } },
      { event: 'clear', streamSid: 'MZ1' },
    ]);
    expect(socket.closed).toEqual({ code: 1000, reason: 'call ended' });
  });

  it('sends what one tick plays in one socket write, and a clear at once', async () => {
    jest.useRealTimers();
    const { socket, twilioLine } = line();
    socket.frame(START);
    const writes: string[] = [];
    const tcp = { cork: () => writes.push('cork'), uncork: () => writes.push('uncork') };
    Object.assign(socket, { _socket: tcp });
    const send = socket.send.bind(socket);
    socket.send = (data: string) => {
      writes.push(JSON.parse(data).event);
      send(data);
    };
    twilioLine.play(Buffer.alloc(320), 'a:40:1');
    twilioLine.play(Buffer.alloc(320), 'a:80:2');
    expect(writes).toEqual(['cork', 'media', 'mark', 'media', 'mark']);
    await new Promise((resolve) => process.nextTick(resolve));
    expect(writes.splice(0)).toEqual(['cork', 'media', 'mark', 'media', 'mark', 'uncork']);
    twilioLine.play(Buffer.alloc(320), 'a:120:3');
    twilioLine.clear();
    expect(writes.splice(0)).toEqual(['cork', 'media', 'mark', 'clear', 'uncork']);
    await new Promise((resolve) => process.nextTick(resolve));
    expect(writes).toEqual([]);
    twilioLine.hangUp();
  });

  it('refuses a stream the server does not admit, before anything else happens', () => {
    const { socket, seen, starts } = line(false);
    socket.frame(START);
    expect(starts).toEqual([]);
    expect(socket.closed).toEqual({ code: 1008, reason: 'stream refused: wrong stream token' });
    expect(seen).toEqual(['ended: stream refused: wrong stream token']);
  });

  it('closes a stream that never sends start', () => {
    const { socket, seen } = line();
    jest.advanceTimersByTime(4_999);
    expect(socket.closed).toBeUndefined();
    jest.advanceTimersByTime(1);
    expect(socket.closed).toEqual({ code: 1008, reason: 'no start message within 5000 ms' });
    expect(seen).toEqual(['ended: no start message within 5000 ms']);
  });

  it('never counts echoes of its own marks as a flood, however many arrive at once', () => {
    const { socket, twilioLine } = line();
    socket.frame(START);
    for (let i = 0; i < 600; i++) twilioLine.play(Buffer.alloc(320), `m${i}`);
    for (let i = 0; i < 600; i++) socket.frame(mark(`m${i}`)); // a clear: all of them in the same instant
    expect(socket.closed).toBeUndefined();
    for (let i = 0; i < 499; i++) socket.frame(mark(`m${i}`)); // echoed twice: not ours any more
    expect(socket.closed).toBeUndefined();
    socket.frame(mark('forged'));
    expect(socket.closed).toEqual({ code: 1008, reason: 'message flood' });
  });

  it('closes with 1009 on an oversized frame and 1008 on a binary or malformed one', () => {
    const big = line();
    big.socket.frame('x'.repeat(70_000));
    expect(big.socket.closed?.code).toBe(1009);
    const binary = line();
    binary.socket.emit('message', Buffer.from([1, 2, 3]), true);
    expect(binary.socket.closed).toEqual({ code: 1008, reason: 'binary frame (Twilio sends JSON text frames only)' });
    const early = line();
    early.socket.frame(mark('x'));
    expect(early.socket.closed).toEqual({ code: 1008, reason: '"mark" before start' });
  });

  it('drops a peer that stops answering pings', async () => {
    const { socket, seen } = line();
    socket.frame(START);
    jest.advanceTimersByTime(10_000);
    await Promise.resolve();
    socket.answersPings = false;
    jest.advanceTimersByTime(20_000);
    expect(socket.terminated).toBe(true);
    expect(seen).toEqual(['ended: Twilio stopped answering pings']);
  });

  it('times the round trip from its pings, often at first: the least any answer took', () => {
    const socket = new FakeSocket();
    socket.pongAfterMs = 80;
    const twilioLine = new TwilioLine(socket, { admit: () => ({ ok: true, reachedAt: 1 }), startTimeoutMs: 5000, keepAliveMs: 10_000, onTransfer: () => {} });
    socket.frame(START);
    expect(twilioLine.roundTripMs).toBeUndefined();
    jest.advanceTimersByTime(80);
    expect(twilioLine.roundTripMs).toBe(80);
    socket.pongAfterMs = 200; // a moment of queueing on the way: the first pings go out 250 ms apart
    jest.advanceTimersByTime(2000);
    expect(twilioLine.roundTripMs).toBe(80);
    socket.pongAfterMs = 60; // then one every keepAliveMs
    jest.advanceTimersByTime(9000);
    expect(twilioLine.roundTripMs).toBe(80);
    jest.advanceTimersByTime(1000);
    expect(twilioLine.roundTripMs).toBe(60);
  });

  it('keeps what arrives while a start is being admitted, and delivers it in order once it is', async () => {
    const socket = new FakeSocket();
    const seen: string[] = [];
    let admit!: (decided: { ok: true; reachedAt: number }) => void;
    const twilioLine = new TwilioLine(socket, {
      admit: () => new Promise((resolve) => (admit = resolve)),
      startTimeoutMs: 5000,
      keepAliveMs: 10_000,
      onTransfer: () => {},
    });
    twilioLine.attach({
      started: (start) => void seen.push(`started ${start.callSid}`),
      audio: (_mulaw, at) => void seen.push(`audio @${at}`),
      markPlayed: () => {},
      digit: (digit) => void seen.push(`digit ${digit}`),
      ended: (failure) => void seen.push(`ended ${failure ?? ''}`),
    });
    socket.frame(START);
    socket.frame({ event: 'media', sequenceNumber: '3', streamSid: 'MZ1', media: { track: 'inbound', chunk: '1', timestamp: '0', payload: '/w==' } });
    socket.frame({ event: 'dtmf', sequenceNumber: '4', streamSid: 'MZ1', dtmf: { track: 'inbound_track', digit: '7' } });
    expect(seen).toEqual([]);
    admit({ ok: true, reachedAt: 1 });
    await Promise.resolve();
    expect(seen).toEqual(['started CA1', 'audio @0', 'digit 7']);
  });
});
