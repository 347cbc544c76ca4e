/**
 * Preloaded into the process under load (`node --require`), outside the product's code: measures the event
 * loop's delay and reports it over the IPC channel when the load tool asks. It also ends the process
 * (SIGTERM, the server's own graceful stop) if the load tool goes away, so no server outlives a run.
 */
'use strict';
const { monitorEventLoopDelay } = require('node:perf_hooks');

/** The sampling timer's period: every sample is this plus the delay, so it is taken off. */
const RESOLUTION_MS = 10;

if (typeof process.send === 'function') {
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  histogram.enable();
  const ms = (ns) => Math.max(0, ns / 1e6 - RESOLUTION_MS);
  process.on('message', (message) => {
    if (!message || typeof message !== 'object' || typeof message.loadProbe !== 'string') return;
    if (message.loadProbe === 'reset') histogram.reset();
    const reply = {
      loadProbe: message.loadProbe,
      id: message.id,
      count: histogram.count,
      p50: ms(histogram.percentile(50)),
      p99: ms(histogram.percentile(99)),
      max: ms(histogram.max),
      mean: ms(histogram.mean),
    };
    try {
      process.send(reply);
    } catch {
      // the load tool is gone; 'disconnect' handles that
    }
  });
  process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
  // The channel must not keep a finished process alive.
  process.channel.unref();
}
