/** The part of a websocket that a heartbeat needs. */
export interface PingableSocket {
  ping(): void;
  on(event: 'pong', listener: () => void): unknown;
  off?(event: 'pong', listener: () => void): unknown;
}

export interface KeepAliveOptions {
  /** How often a ping goes out (one at a time: none while one is unanswered). */
  intervalMs: number;
  /** The first pings go out sooner, when the round trip is wanted early: this many, this far apart. */
  firstPings?: { count: number; intervalMs: number };
  /** A ping unanswered this long means the peer is dead (a half-open TCP connection never closes by itself). */
  deadAfterMs: number;
  /** Called once when the peer is found dead. */
  onDead(): void;
  /** Each answered ping's round trip, in ms. */
  onRoundTrip?(ms: number): void;
}

/**
 * Pings the peer, at once and then every interval, to know it is alive and how far away it is. Returns a function
 * that stops it.
 */
export function keepAlive(
  socket: PingableSocket,
  options: KeepAliveOptions,
  now: () => number = performance.now.bind(performance),
): () => void {
  /** When the unanswered ping went out. */
  let pingedAt: number | undefined;
  let pings = 0;
  let timer: NodeJS.Timeout | undefined;
  const pong = () => {
    if (pingedAt === undefined) return;
    options.onRoundTrip?.(now() - pingedAt);
    pingedAt = undefined;
  };
  const ping = () => {
    try {
      socket.ping();
      pingedAt = now();
      pings++;
    } catch {
      // Not open yet (or any more): nothing to wait for; the close handler deals with a closed socket.
    }
  };
  const schedule = () => {
    const { firstPings } = options;
    timer = setTimeout(tick, firstPings && pings < firstPings.count ? firstPings.intervalMs : options.intervalMs);
    timer.unref();
  };
  const tick = () => {
    if (pingedAt === undefined) ping();
    else if (now() - pingedAt >= options.deadAfterMs) {
      stop();
      return options.onDead();
    }
    schedule();
  };
  const stop = () => {
    clearTimeout(timer);
    socket.off?.('pong', pong);
  };
  socket.on('pong', pong);
  ping();
  schedule();
  return stop;
}
