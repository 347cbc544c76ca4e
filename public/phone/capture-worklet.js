/**
 * The microphone, as the line hears it: samples at the audio context's rate in, 20 ms μ-law frames at 8 kHz out
 * to the page, each with its level. The DSP is PhoneAudio's (audio-core.js, loaded into this scope first).
 */
/* global PhoneAudio, sampleRate, registerProcessor, AudioWorkletProcessor */
class CaptureProcessor extends AudioWorkletProcessor {
  constructor() {
    super();
    this.encoder = new PhoneAudio.CaptureEncoder(sampleRate);
    this.silence = new Float32Array(128);
  }

  process(inputs) {
    // No input channel (a muted or ended track) is silence: the line keeps its 20 ms rhythm.
    const channel = inputs[0] && inputs[0][0];
    for (const frame of this.encoder.push(channel || this.silence)) {
      this.port.postMessage({ mulaw: frame.mulaw.buffer, levelDbfs: frame.levelDbfs }, [frame.mulaw.buffer]);
    }
    return true;
  }
}

registerProcessor('phone-capture', CaptureProcessor);
