import { EventEmitter } from 'node:events';
import { keepAlive } from '../src/keepAlive';

/** A peer that answers each ping after `answerAfterMs` (never, if undefined); throws while `open` is false. */
class FakePeer extends EventEmitter {
  pings = 0;
  open = true;
  constructor(public answerAfterMs: number | undefined) {
    super();
  }
  ping(): void {
    if (!this.open) throw new Error('WebSocket is not open');
    this.pings++;
    if (this.answerAfterMs !== undefined) setTimeout(() => this.emit('pong'), this.answerAfterMs);
  }
}

describe('keepAlive', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('pings at once and then every interval, one ping at a time, and times each answer', () => {
    const peer = new FakePeer(30);
    const roundTrips: number[] = [];
    const stop = keepAlive(peer, { intervalMs: 500, deadAfterMs: 10_000, onDead: () => {}, onRoundTrip: (ms) => roundTrips.push(ms) }, () => Date.now());
    expect(peer.pings).toBe(1);
    jest.advanceTimersByTime(1000);
    expect(peer.pings).toBe(3);
    expect(roundTrips).toEqual([30, 30]);

    peer.answerAfterMs = 700; // slower than the interval: no second ping while one is out
    jest.advanceTimersByTime(1300);
    expect(peer.pings).toBe(4);
    expect(roundTrips).toEqual([30, 30, 30, 700]);
    stop();
    jest.advanceTimersByTime(5000);
    expect(peer.pings).toBe(4);
  });

  it('sends its first pings sooner when asked, then settles to the interval', () => {
    const peer = new FakePeer(10);
    keepAlive(peer, { intervalMs: 10_000, firstPings: { count: 3, intervalMs: 250 }, deadAfterMs: 10_000, onDead: () => {} }, () => Date.now());
    jest.advanceTimersByTime(500);
    expect(peer.pings).toBe(3);
    jest.advanceTimersByTime(9900); // the third went out at 500
    expect(peer.pings).toBe(3);
    jest.advanceTimersByTime(100);
    expect(peer.pings).toBe(4);
  });

  it('finds a peer dead once a ping has gone unanswered for deadAfterMs, and stops', () => {
    const peer = new FakePeer(undefined);
    const onDead = jest.fn();
    keepAlive(peer, { intervalMs: 500, deadAfterMs: 2000, onDead }, () => Date.now());
    jest.advanceTimersByTime(1500);
    expect(onDead).not.toHaveBeenCalled();
    jest.advanceTimersByTime(500);
    expect(onDead).toHaveBeenCalledTimes(1);
    jest.advanceTimersByTime(10_000);
    expect(onDead).toHaveBeenCalledTimes(1);
    expect(peer.pings).toBe(1);
  });

  it('waits for a socket that is not open yet instead of finding it dead', () => {
    const peer = new FakePeer(10);
    peer.open = false;
    const onDead = jest.fn();
    const roundTrips: number[] = [];
    keepAlive(peer, { intervalMs: 1000, deadAfterMs: 1000, onDead, onRoundTrip: (ms) => roundTrips.push(ms) }, () => Date.now());
    jest.advanceTimersByTime(5000);
    expect(onDead).not.toHaveBeenCalled();
    peer.open = true;
    jest.advanceTimersByTime(1500);
    expect(roundTrips).toEqual([10]);
  });
});
