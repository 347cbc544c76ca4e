/** The part of a websocket that a heartbeat needs. */
export interface PingableSocket {
  ping(): void;
  on(event: 'pong', listener: () => void): unknown;
  off?(event: 'pong', listener: () => void): unknown;
}

/**
 * Pings the peer every `intervalMs`; a peer that has not answered one ping by the next is dead (a half-open
 * TCP connection never closes by itself) and `onDead` is called once. Returns a function that stops it.
 */
export function keepAlive(socket: PingableSocket, intervalMs: number, onDead: () => void): () => void {
  let answered = true;
  const pong = () => {
    answered = true;
  };
  socket.on('pong', pong);
  const timer = setInterval(() => {
    if (!answered) {
      stop();
      onDead();
      return;
    }
    try {
      socket.ping();
      answered = false;
    } catch {
      // Not open yet (or any more): nothing to wait for; the close handler deals with a closed socket.
    }
  }, intervalMs);
  timer.unref();
  const stop = () => {
    clearInterval(timer);
    socket.off?.('pong', pong);
  };
  return stop;
}
