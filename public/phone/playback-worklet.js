/**
 * The agent's voice: μ-law from the line in, the speaker out, through PhoneAudio's playback queue (audio-core.js,
 * loaded into this scope first). Tells the page which marks have played, and whether the agent is audible.
 *
 * From the page: { type: 'media', mulaw: ArrayBuffer }, { type: 'mark', name }, { type: 'clear' }.
 * To the page: { type: 'marks', names }, and { type: 'state', playing, bufferedMs, stats } on every change and
 * every 100 ms while audio plays.
 */
/* global PhoneAudio, sampleRate, registerProcessor, AudioWorkletProcessor */
const STATE_EVERY_FRAMES = Math.round(sampleRate / 10);

class PlaybackProcessor extends AudioWorkletProcessor {
  constructor() {
    super();
    this.queue = new PhoneAudio.PlaybackQueue(sampleRate);
    this.wasPlaying = false;
    this.sinceState = 0;
    this.port.onmessage = (event) => {
      const message = event.data;
      if (message.type === 'media') this.queue.push(new Uint8Array(message.mulaw));
      else if (message.type === 'mark') this.queue.mark(message.name);
      else if (message.type === 'clear') this.report(this.queue.clear());
    };
  }

  process(_inputs, outputs) {
    const channels = outputs[0];
    const names = this.queue.render(channels[0]);
    for (let c = 1; c < channels.length; c++) channels[c].set(channels[0]);
    this.report(names);
    this.sinceState += channels[0].length;
    const playing = this.queue.playing;
    if (playing !== this.wasPlaying || (playing && this.sinceState >= STATE_EVERY_FRAMES)) {
      this.wasPlaying = playing;
      this.sinceState = 0;
      this.port.postMessage({ type: 'state', playing, bufferedMs: this.queue.bufferedMs, stats: this.queue.stats });
    }
    return true;
  }

  report(names) {
    if (names.length > 0) this.port.postMessage({ type: 'marks', names });
  }
}

registerProcessor('phone-playback', PlaybackProcessor);
