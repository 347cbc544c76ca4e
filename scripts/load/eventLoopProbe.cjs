/**
 * Preloaded into the process under load (`node --require`), outside the product's code: measures the event
 * loop's delay and how long the bridge works on each message, and reports both over the IPC channel when the
 * load tool asks. It also ends the process (SIGTERM, the server's own graceful stop) if the load tool goes away,
 * so no server outlives a run.
 *
 * Work per message: every copy of `ws` the process loads gets its WebSocket's `emit('message')` timed, from the
 * moment the message is handed to the bridge's listeners to the end of the ticks queued behind it (so writes
 * a listener defers to the end of its tick count too). That is what the bridge adds to a message it does not
 * hold back on purpose, queueing in the event loop aside (the event-loop delay says how long that is). Timed:
 * Twilio `media` frames on a server socket, and `response.output_audio.delta` and
 * `input_audio_buffer.speech_started` on a client socket (to the model). A Twilio `clear` sent while the bridge
 * handles one of those is timed too, from the moment that message was handed over: how soon a barge-in clears the
 * line once the bridge knows of it (from the model's speech_started, or from the caller's own audio).
 */
'use strict';
const Module = require('node:module');
const { createHistogram, monitorEventLoopDelay, performance } = require('node:perf_hooks');

/** The sampling timer's period: every sample is this plus the delay, so it is taken off. */
const RESOLUTION_MS = 10;

if (typeof process.send === 'function') {
  const loop = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  loop.enable();
  /** Frames are measured over the steady window (reset with the loop); deltas and speech over the whole run. */
  const work = {
    frame: createHistogram(),
    delta: createHistogram(),
    speechStarted: createHistogram(),
    clearAfterSpeechStarted: createHistogram(),
    clearAfterFrame: createHistogram(),
  };
  /** The message being handled, while it is: what a `clear` sent meanwhile answers. */
  let handling;
  const ms = (ns) => Math.max(0, ns / 1e6 - RESOLUTION_MS);
  const nanos = (ms) => Math.max(1, Math.round(ms * 1e6));
  const summary = (h) =>
    h.count === 0 ? { count: 0 } : { count: h.count, p50: h.percentile(50) / 1e6, p99: h.percentile(99) / 1e6, max: h.max / 1e6 };

  const kindOf = (socket, data) => {
    const text = typeof data === 'string' ? data.slice(0, 64) : Buffer.isBuffer(data) ? data.toString('latin1', 0, 64) : '';
    if (socket._isServer) return text.includes('"event":"media"') ? 'frame' : undefined;
    if (text.includes('"type":"response.output_audio.delta"')) return 'delta';
    if (text.includes('"type":"input_audio_buffer.speech_started"')) return 'speechStarted';
    return undefined;
  };

  const timeMessages = (WebSocket) => {
    const proto = WebSocket.prototype;
    if (proto.__loadProbe) return;
    proto.__loadProbe = true;
    const emit = proto.emit;
    proto.emit = function (event, data) {
      const kind = event === 'message' ? kindOf(this, data) : undefined;
      if (!kind) return emit.apply(this, arguments);
      const start = performance.now();
      const outer = handling;
      handling = { kind, start };
      let result;
      try {
        result = emit.apply(this, arguments);
      } finally {
        handling = outer;
      }
      process.nextTick(() => work[kind].record(nanos(performance.now() - start)));
      return result;
    };
    const send = proto.send;
    proto.send = function (data) {
      if (handling && handling.kind !== 'delta' && this._isServer && typeof data === 'string' && data.startsWith('{"event":"clear"')) {
        const after = handling.kind === 'frame' ? work.clearAfterFrame : work.clearAfterSpeechStarted;
        after.record(nanos(performance.now() - handling.start));
      }
      return send.apply(this, arguments);
    };
  };

  // Whichever copy of ws is loaded (the bridge may load two), its WebSocket class is timed as it loads.
  const load = Module._load;
  Module._load = function (request) {
    const exported = load.apply(this, arguments);
    if (typeof exported === 'function' && exported.name === 'WebSocket' && typeof exported.prototype.send === 'function') timeMessages(exported);
    return exported;
  };

  process.on('message', (message) => {
    if (!message || typeof message !== 'object' || typeof message.loadProbe !== 'string') return;
    if (message.loadProbe === 'reset') {
      loop.reset();
      work.frame.reset();
    }
    const memory = process.memoryUsage();
    const reply = {
      loadProbe: message.loadProbe,
      id: message.id,
      count: loop.count,
      p50: ms(loop.percentile(50)),
      p99: ms(loop.percentile(99)),
      max: ms(loop.max),
      mean: ms(loop.mean),
      work: Object.fromEntries(Object.entries(work).map(([kind, h]) => [kind, summary(h)])),
      heapUsedMB: memory.heapUsed / 2 ** 20,
      externalMB: memory.external / 2 ** 20,
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
