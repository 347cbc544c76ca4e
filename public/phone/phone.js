/**
 * The softphone page: this browser's microphone and speaker as a phone line to the agent. It speaks the Media
 * Streams messages a Twilio line speaks over /phone/stream (start, 20 ms μ-law media, mark echoes once the audio
 * before them has really played, stop; the server sends media, marks and clear), admitted by a one-time ticket
 * from POST /phone/call, and shows the call as it goes: who is speaking, the transcript as heard, how it ended.
 *
 * What people said is written with textContent only. `window.softphone` holds a few counters for tests and for
 * the curious.
 */
(() => {
  'use strict';

  const STATIC = '/phone/static';
  const WORKLETS = ['audio-core.js', 'capture-worklet.js', 'playback-worklet.js'];
  /** Microphone level (dBFS over 20 ms, after echo cancellation) above which "You" lights up. */
  const SPEAKING_DBFS = -45;
  /** How long the "You" light stays on after the level drops, so it does not flicker between words. */
  const SPEAKING_HOLD_MS = 250;
  /** After hanging up, how long to wait for the server's last words (the final turns, the end reason). */
  const GOODBYE_WAIT_MS = 2000;

  const END_REASONS = {
    'caller-hung-up': 'you hung up',
    'agent-ended': 'the agent hung up',
    transferred: 'the agent transferred the call',
    'max-duration': 'the call reached its time limit',
    'idle-timeout': 'nobody spoke for too long',
    'model-error': 'the model could not be reached',
    'protocol-error': 'the line failed',
    'server-shutdown': 'the server is shutting down',
    error: 'something went wrong on the server',
  };

  const $ = (id) => document.getElementById(id);
  const ui = {
    status: $('status'),
    timer: $('timer'),
    you: $('you'),
    agent: $('agent'),
    call: $('call'),
    hangup: $('hangup'),
    record: $('record'),
    recordLink: $('record-link'),
    transcript: $('transcript'),
  };
  const agentName = ui.agent.textContent;

  const stats = {
    state: 'idle',
    callSid: undefined,
    framesSent: 0,
    marksEchoed: 0,
    agentPlayedMs: 0,
    bargeIns: 0,
    turns: 0,
    endReason: undefined,
    closeCode: undefined,
  };
  window.softphone = stats;

  /** The call in progress, if any. */
  let current;

  function setState(state, text) {
    stats.state = state;
    ui.status.dataset.state = state;
    ui.status.textContent = text;
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

  // ───────────────────────────── the transcript ─────────────────────────────

  function resetTranscript() {
    ui.transcript.replaceChildren(element('div', 'empty', 'What you and the agent say appears here, as you heard it.'));
  }

  function append(node) {
    ui.transcript.querySelector('.empty')?.remove();
    ui.transcript.append(node);
    node.scrollIntoView({ block: 'nearest' });
  }

  function addTurn(turn) {
    stats.turns++;
    const agent = turn.role === 'agent';
    const node = element('div', `turn ${agent ? 'agent' : 'caller'}${turn.interrupted ? ' interrupted' : ''}`);
    const who = element('div', 'who');
    who.append(element('strong', '', agent ? agentName : 'You'), element('time', 'num', seconds(turn.atMs)));
    const bubble = element('div', 'bubble', turn.text || '…');
    if (turn.interrupted && turn.heardMs !== undefined && turn.spokenMs !== undefined) {
      bubble.append(element('span', 'cut', `— interrupted at ${seconds(turn.heardMs)} of ${seconds(turn.spokenMs)}`));
    } else if (turn.interrupted) {
      bubble.append(element('span', 'cut', '— interrupted'));
    }
    node.append(who, bubble);
    append(node);
  }

  function addNote(text) {
    append(element('div', 'note', text));
  }

  // ───────────────────────────── a call ─────────────────────────────

  class Call {
    constructor(context, microphone, ticket) {
      this.context = context;
      this.microphone = microphone;
      this.ticket = ticket;
      this.sequence = 0;
      this.chunk = 0;
      this.streaming = false;
      this.over = false;
      this.endReason = undefined;
      this.startedAt = performance.now();
      this.youUntil = 0;

      this.playback = new AudioWorkletNode(context, 'phone-playback', { numberOfInputs: 0, numberOfOutputs: 1, outputChannelCount: [1] });
      this.playback.port.onmessage = (event) => this.fromPlayback(event.data);
      this.playback.connect(context.destination);
      // No outputs: a sink, rendered for as long as it lives.
      this.capture = new AudioWorkletNode(context, 'phone-capture', { numberOfInputs: 1, numberOfOutputs: 0, channelCount: 1, channelCountMode: 'explicit' });
      this.capture.port.onmessage = (event) => this.fromMicrophone(event.data);
      this.source = context.createMediaStreamSource(microphone);

      const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
      this.ws = new WebSocket(`${scheme}//${location.host}/phone/stream`);
      this.ws.onopen = () => this.opened();
      this.ws.onmessage = (event) => this.fromServer(event.data);
      this.ws.onclose = (event) => this.finish(event.code, event.reason);
      stats.callSid = ticket.callSid;
    }

    opened() {
      const { callSid, streamSid, token } = this.ticket;
      this.send({
        event: 'start',
        start: {
          accountSid: '',
          streamSid,
          callSid,
          tracks: ['inbound', 'outbound'],
          mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
          customParameters: { token },
        },
      });
      // The caller's timeline starts with the stream.
      this.source.connect(this.capture);
      this.streaming = true;
      this.startedAt = performance.now();
      this.timer = setInterval(() => this.tick(), 250);
      setState('in-call', 'Connected');
      ui.hangup.disabled = false;
      void this.context.resume();
    }

    /** A Media Streams message on this stream. */
    send(message) {
      if (this.ws.readyState !== WebSocket.OPEN) return;
      this.ws.send(JSON.stringify({ ...message, sequenceNumber: String(++this.sequence), streamSid: this.ticket.streamSid }));
    }

    fromMicrophone({ mulaw, levelDbfs }) {
      if (!this.streaming) return;
      const timestamp = this.chunk * 20;
      this.chunk++;
      this.send({ event: 'media', media: { track: 'inbound', chunk: String(this.chunk), timestamp: String(timestamp), payload: toBase64(new Uint8Array(mulaw)) } });
      stats.framesSent++;
      const now = performance.now();
      if (levelDbfs > SPEAKING_DBFS) this.youUntil = now + SPEAKING_HOLD_MS;
      ui.you.classList.toggle('on', now < this.youUntil);
    }

    fromPlayback(message) {
      if (message.type === 'marks') {
        for (const name of message.names) this.send({ event: 'mark', mark: { name } });
        stats.marksEchoed += message.names.length;
      } else if (message.type === 'state') {
        ui.agent.classList.toggle('on', message.playing);
        stats.agentPlayedMs = message.stats.playedMs;
      }
    }

    fromServer(data) {
      let message;
      try {
        message = JSON.parse(data);
      } catch {
        return;
      }
      switch (message.event) {
        case 'media': {
          const mulaw = fromBase64(message.media.payload);
          this.playback.port.postMessage({ type: 'media', mulaw: mulaw.buffer }, [mulaw.buffer]);
          break;
        }
        case 'mark':
          this.playback.port.postMessage({ type: 'mark', name: message.mark.name });
          break;
        case 'clear':
          this.playback.port.postMessage({ type: 'clear' });
          break;
        case 'transcript':
          addTurn(message);
          break;
        case 'barge-in':
          stats.bargeIns++;
          break;
        case 'call-event':
          addNote(message.summary);
          break;
        case 'transfer':
          addNote(`The agent would put you through to ${message.number} now. A call from the browser cannot be transferred, so it ends here.`);
          break;
        case 'ended':
          this.endReason = message.reason;
          stats.endReason = message.reason;
          break;
      }
    }

    tick() {
      const s = Math.floor((performance.now() - this.startedAt) / 1000);
      ui.timer.textContent = `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
    }

    /** Stops the microphone and says goodbye; the server closes the stream once the call has ended. */
    hangUp() {
      if (this.over || !this.streaming) return this.ws.close(1000);
      this.streaming = false;
      this.send({ event: 'stop', stop: { accountSid: '', callSid: this.ticket.callSid } });
      this.stopMicrophone();
      setState('ending', 'Hanging up…');
      ui.hangup.disabled = true;
      setTimeout(() => this.ws.close(1000), GOODBYE_WAIT_MS);
    }

    stopMicrophone() {
      this.source.disconnect();
      for (const track of this.microphone.getTracks()) track.stop();
    }

    finish(code, reason) {
      if (this.over) return;
      this.over = true;
      this.streaming = false;
      clearInterval(this.timer);
      this.stopMicrophone();
      void this.context.close();
      ui.you.classList.remove('on');
      ui.agent.classList.remove('on');
      stats.closeCode = code;
      const admitted = this.endReason !== undefined || code === 1000;
      if (this.endReason) setState('ended', `Call ended: ${END_REASONS[this.endReason] || this.endReason}.`);
      else if (code === 1000) setState('ended', 'Call ended.');
      else if (code === 1013) setState('failed', reason === 'all lines are busy' ? 'All lines are busy. Try again in a minute.' : 'The server is not taking calls at the moment.');
      else setState('failed', `The call was cut off${reason ? `: ${reason}` : ''}.`);
      if (admitted) {
        ui.recordLink.href = `/calls/${encodeURIComponent(this.ticket.callSid)}`;
        ui.recordLink.textContent = this.ticket.callSid;
        ui.record.hidden = false;
      }
      ui.call.disabled = false;
      ui.hangup.disabled = true;
      current = undefined;
    }
  }

  function toBase64(bytes) {
    let text = '';
    for (let i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]);
    return btoa(text);
  }

  function fromBase64(payload) {
    const text = atob(payload);
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    return bytes;
  }

  // ───────────────────────────── placing a call ─────────────────────────────

  async function placeCall() {
    ui.call.disabled = true;
    ui.record.hidden = true;
    ui.timer.textContent = '0:00';
    stats.endReason = undefined;
    stats.closeCode = undefined;
    resetTranscript();
    setState('connecting', 'Connecting…');
    // Made on the click, so the browser lets it play.
    const context = new AudioContext({ latencyHint: 'interactive' });
    let microphone;
    try {
      microphone = await navigator.mediaDevices.getUserMedia({
        // Echo cancellation keeps the agent's voice from laptop speakers out of the microphone; the model does its
        // own noise reduction, and automatic gain would pump the level the agent's voice detection relies on.
        audio: { echoCancellation: true, noiseSuppression: false, autoGainControl: false, channelCount: 1 },
      });
      for (const file of WORKLETS) await context.audioWorklet.addModule(`${STATIC}/${file}`);
      const response = await fetch('/phone/call', { method: 'POST', credentials: 'same-origin', headers: { Accept: 'application/json' } });
      if (response.status === 401) throw new Error('You are signed out. Reload the page and sign in again.');
      if (!response.ok) throw new Error(`The server refused the call (${response.status}).`);
      current = new Call(context, microphone, await response.json());
    } catch (err) {
      for (const track of microphone ? microphone.getTracks() : []) track.stop();
      void context.close();
      const denied = err && err.name === 'NotAllowedError';
      setState('failed', denied ? 'The browser did not allow the microphone. Allow it for this site and try again.' : `Could not place the call: ${err.message}`);
      ui.call.disabled = false;
    }
  }

  const ready = typeof AudioWorkletNode === 'function' && navigator.mediaDevices && typeof navigator.mediaDevices.getUserMedia === 'function';
  if (!ready) {
    setState('failed', 'This browser cannot place calls here: it needs microphone access and AudioWorklet (a current Chrome, Edge or Firefox, on https or localhost).');
  } else {
    ui.call.disabled = false;
    ui.call.addEventListener('click', () => void placeCall());
    ui.hangup.addEventListener('click', () => current && current.hangUp());
  }
})();
