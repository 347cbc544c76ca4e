/** The part of a websocket that a heartbeat needs. */
export interface PingableSocket {
  ping(): void;
  on(event: 'pong', listener: () => void): unknown;
  off?(event: 'pong', listener: () => void): unknown;
}

export interface KeepAliveOptions {
  /** How often a ping goes out (one at a time: none while one is unanswered). */
  intervalMs: number;
  /** A ping unanswered this long means the peer is dead (a half-open TCP connection never closes by itself). */
  deadAfterMs: number;
  /** Called once when the peer is found dead. */
  onDead(): void;
  /** Each answered ping's round trip, in ms. */
  onRoundTrip?(ms: number): void;
}

/** Pings the peer, at once and then every interval, to know it is alive and how far away it is. Returns a function that stops it. */
export function keepAlive(
  socket: PingableSocket,
  options: KeepAliveOptions,
  now: () => number = performance.now.bind(performance),
): () => void {
  /** When the unanswered ping went out. */
  let pingedAt: number | undefined;
  const pong = () => {
    if (pingedAt === undefined) return;
    options.onRoundTrip?.(now() - pingedAt);
    pingedAt = undefined;
  };
  socket.on('pong', pong);
  const ping = () => {
    try {
      socket.ping();
      pingedAt = now();
    } catch {
      // Not open yet (or any more): nothing to wait for; the close handler deals with a closed socket.
    }
  };
  const timer = setInterval(() => {
    if (pingedAt === undefined) return ping();
    if (now() - pingedAt < options.deadAfterMs) return;
    stop();
    options.onDead();
  }, options.intervalMs);
  timer.unref();
  // The round trip is known from the start (a caller may talk over the very first words).
  ping();
  const stop = () => {
    clearInterval(timer);
    socket.off?.('pong', pong);
  };
  return stop;
}
