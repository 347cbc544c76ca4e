/**
 * The softphone's audio, as pure code: G.711 μ-law, a band-limited resampler for any pair of rates, the capture
 * path (microphone samples → 20 ms μ-law frames at 8 kHz) and the playback queue (μ-law in, samples at the
 * output rate out, with marks and a jitter buffer). No imports and no browser APIs: an AudioWorklet module can
 * import nothing we could share, so the page loads this file into its worklet scope first (it defines
 * `PhoneAudio` there), and Node loads it as a CommonJS module for the tests and the simulator.
 */
(function () {
  'use strict';

  // ───────────────────────────── G.711 μ-law ─────────────────────────────

  const MULAW_BIAS = 0x84;
  const MULAW_CLIP = 32635;

  /** One PCM16 sample (an integer in -32768..32767) to its μ-law byte, as ITU-T G.711 (and src/audio/g711.ts). */
  function mulawEncodeSample(sample) {
    const sign = (sample >> 8) & 0x80;
    let magnitude = sign !== 0 ? -sample : sample;
    magnitude += MULAW_BIAS;
    if (magnitude > MULAW_CLIP) magnitude = MULAW_CLIP;
    let exponent = 7;
    for (let mask = 0x4000; (magnitude & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
    const mantissa = (magnitude >> (exponent + 3)) & 0x0f;
    return ~(sign | (exponent << 4) | mantissa) & 0xff;
  }

  /** One μ-law byte to its PCM16 sample. */
  function mulawDecodeSample(code) {
    const bits = ~code & 0xff;
    const exponent = (bits >> 4) & 0x07;
    const magnitude = (((bits & 0x0f) << 3) + MULAW_BIAS) << exponent;
    return bits & 0x80 ? MULAW_BIAS - magnitude : magnitude - MULAW_BIAS;
  }

  const DECODE_TABLE = new Float32Array(256);
  for (let code = 0; code < 256; code++) DECODE_TABLE[code] = mulawDecodeSample(code) / 32768;

  /** A sample in -1..1 (Web Audio's range) to μ-law; louder is clipped. */
  function mulawEncodeFloat(value) {
    const scaled = Math.round(value * 32768);
    return mulawEncodeSample(scaled > 32767 ? 32767 : scaled < -32768 ? -32768 : scaled);
  }

  // ───────────────────────────── the low-pass ─────────────────────────────

  /** The zeroth-order modified Bessel function of the first kind, by its power series. */
  function besselI0(x) {
    const quarterSquare = (x * x) / 4;
    let term = 1;
    let sum = 1;
    for (let k = 1; k < 100 && term > sum * 1e-16; k++) {
      term *= quarterSquare / (k * k);
      sum += term;
    }
    return sum;
  }

  /** Table points per zero crossing of the sinc: linear interpolation between them errs below -90 dB. */
  const POINTS_PER_CROSSING = 256;

  /**
   * A Kaiser-windowed sinc low-pass, as a function of the distance in input samples between an output instant and
   * an input sample. Gain 1 in the passband at any output rate. Sized by Kaiser's formulas for `attenuationDb` of
   * stopband rejection over a `transitionHz` wide band centred on `cutoffHz`.
   */
  class Lowpass {
    constructor(inputRate, { cutoffHz, transitionHz, attenuationDb }) {
      const beta = 0.1102 * (attenuationDb - 8.7);
      const taps = (attenuationDb - 8) / (2.285 * ((2 * Math.PI * transitionHz) / inputRate));
      /** The kernel is 0 at this distance and beyond. */
      this.halfWidth = Math.ceil(taps / 2);
      const cutoff = cutoffHz / inputRate; // in cycles per input sample
      this.pointsPerSample = Math.ceil(POINTS_PER_CROSSING * 2 * cutoff);
      const points = this.halfWidth * this.pointsPerSample;
      this.table = new Float64Array(points + 2);
      const windowNorm = besselI0(beta);
      for (let i = 0; i <= points; i++) {
        const d = i / this.pointsPerSample;
        const x = 2 * cutoff * d;
        const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
        const edge = d / this.halfWidth;
        this.table[i] = 2 * cutoff * sinc * (besselI0(beta * Math.sqrt(Math.max(0, 1 - edge * edge))) / windowNorm);
      }
    }

    /** The kernel at distance `d` (input samples, either sign). */
    at(d) {
      const position = (d < 0 ? -d : d) * this.pointsPerSample;
      const i = Math.floor(position);
      if (i >= this.table.length - 2) return 0;
      const t = this.table;
      return t[i] + (position - i) * (t[i + 1] - t[i]);
    }
  }

  /**
   * Telephone band: flat up to 3.4 kHz, at least 70 dB down from 4 kHz, where an 8 kHz stream folds over. Used both
   * ways: before decimating to 8 kHz (aliases) and after interpolating from it (images).
   */
  const TELEPHONE_BAND = { cutoffHz: 3700, transitionHz: 600, attenuationDb: 70 };

  // ───────────────────────────── resampling ─────────────────────────────

  /**
   * Any rate to any rate, streaming: each output sample is the band-limited input evaluated at its instant. Chunk
   * sizes are arbitrary; outputs wait until the input they need has arrived (a delay of `halfWidth` inputs).
   */
  class Resampler {
    constructor(inputRate, outputRate, band) {
      this.inputRate = inputRate;
      this.outputRate = outputRate;
      this.kernel = new Lowpass(inputRate, band);
      const h = this.kernel.halfWidth;
      // Silence before the first input, so the first outputs have their history.
      this.buffer = new Float32Array(Math.max(4096, 4 * h));
      this.start = -h; // the input index held at buffer[0]
      this.length = h;
      this.produced = 0;
    }

    /** Feeds input samples; returns the output samples now complete. */
    process(input) {
      this.append(input);
      const h = this.kernel.halfWidth;
      const end = this.start + this.length; // one past the last input held
      const instant = (n) => (n * this.inputRate) / this.outputRate;
      let count = 0;
      while (Math.floor(instant(this.produced + count)) + h < end) count++;
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = this.evaluate(instant(this.produced + i));
      this.produced += count;
      // Keep only what the next output can reach back to.
      const keepFrom = Math.floor(instant(this.produced)) - h;
      const drop = keepFrom - this.start;
      if (drop > 0) {
        this.buffer.copyWithin(0, drop, this.length);
        this.start += drop;
        this.length -= drop;
      }
      return out;
    }

    evaluate(t) {
      const h = this.kernel.halfWidth;
      const first = Math.floor(t) - h + 1;
      const last = Math.floor(t) + h;
      let sum = 0;
      for (let k = first; k <= last; k++) sum += this.buffer[k - this.start] * this.kernel.at(t - k);
      return sum;
    }

    append(input) {
      if (this.length + input.length > this.buffer.length) {
        const grown = new Float32Array(2 * (this.length + input.length));
        grown.set(this.buffer.subarray(0, this.length));
        this.buffer = grown;
      }
      this.buffer.set(input, this.length);
      this.length += input.length;
    }
  }

  // ───────────────────────────── capture ─────────────────────────────

  const LINE_RATE = 8000;
  /** 20 ms at 8 kHz: one media message. */
  const FRAME_SAMPLES = 160;

  /** Microphone samples at the audio context's rate in, 160-byte μ-law frames (20 ms at 8 kHz) out. */
  class CaptureEncoder {
    constructor(inputRate) {
      if (!(inputRate >= LINE_RATE)) throw new Error(`the input rate must be at least ${LINE_RATE} Hz, not ${inputRate}`);
      this.resampler = new Resampler(inputRate, LINE_RATE, TELEPHONE_BAND);
      this.frame = new Uint8Array(FRAME_SAMPLES);
      this.filled = 0;
      this.energy = 0;
    }

    /**
     * Feeds samples in -1..1; returns the frames now complete, each with its level (dBFS, a full-scale sine reads
     * -3) for a speaking indicator.
     */
    push(samples) {
      const frames = [];
      for (const value of this.resampler.process(samples)) {
        this.frame[this.filled++] = mulawEncodeFloat(value);
        this.energy += value * value;
        if (this.filled === FRAME_SAMPLES) {
          frames.push({ mulaw: this.frame, levelDbfs: 10 * Math.log10(this.energy / FRAME_SAMPLES + 1e-12) });
          this.frame = new Uint8Array(FRAME_SAMPLES);
          this.filled = 0;
          this.energy = 0;
        }
      }
      return frames;
    }
  }

  // ───────────────────────────── playback ─────────────────────────────

  /** Ten seconds at 8 kHz, rounded up to a power of two; the server keeps only about a second queued. */
  const QUEUE_SAMPLES = 1 << 17;

  /**
   * The agent's audio on its way to the speaker: μ-law at 8 kHz in, samples at the output rate out, with the
   * Media Streams semantics the call relies on. A mark is reported once the audio queued before it has been
   * rendered; `clear` drops everything not rendered yet and reports every pending mark at once.
   *
   * A jitter buffer: when audio starts after a pause, playback waits until `prebufferMs` is queued (or that long
   * has passed), so a late packet mid-sentence does not leave a gap. Once the queue runs dry it waits again.
   */
  class PlaybackQueue {
    constructor(outputRate, options) {
      const prebufferMs = options && options.prebufferMs !== undefined ? options.prebufferMs : 60;
      this.kernel = new Lowpass(LINE_RATE, TELEPHONE_BAND);
      this.step = LINE_RATE / outputRate;
      this.outputRate = outputRate;
      this.prebufferSamples = (prebufferMs * LINE_RATE) / 1000;
      this.prebufferFrames = Math.round((prebufferMs * outputRate) / 1000);
      this.ring = new Float32Array(QUEUE_SAMPLES);
      this.mask = QUEUE_SAMPLES - 1;
      /** Absolute 8 kHz sample indices: the next to write, the play position, and where cleared audio ends. */
      this.written = 0;
      this.position = 0;
      this.silentBefore = 0;
      this.marks = [];
      this.state = 'idle';
      this.waitFrames = 0;
      this.stats = { receivedMs: 0, playedMs: 0, marksPlayed: 0, marksCleared: 0, clears: 0, starts: 0, overflows: 0 };
    }

    /** True while agent audio is coming out of the speaker. */
    get playing() {
      return this.state === 'playing';
    }

    /** Audio queued and not yet played, in ms. */
    get bufferedMs() {
      return ((this.written - this.position) * 1000) / LINE_RATE;
    }

    /** Queues μ-law bytes (8 kHz). */
    push(mulaw) {
      const room = QUEUE_SAMPLES - this.kernel.halfWidth - 1 - (this.written - Math.floor(this.position));
      const accepted = Math.min(mulaw.length, Math.max(0, room));
      if (accepted < mulaw.length) this.stats.overflows++;
      for (let i = 0; i < accepted; i++) this.ring[(this.written + i) & this.mask] = DECODE_TABLE[mulaw[i]];
      this.written += accepted;
      this.stats.receivedMs += (accepted * 1000) / LINE_RATE;
      if (this.state === 'idle' && accepted > 0) {
        this.state = 'buffering';
        this.waitFrames = this.prebufferFrames;
      }
    }

    /** A mark after the audio queued so far. */
    mark(name) {
      this.marks.push({ name, at: this.written });
    }

    /** Drops every sample not played yet; returns the marks that were waiting, in order. */
    clear() {
      const flushed = this.marks.map((m) => m.name);
      this.marks = [];
      this.written = Math.ceil(this.position);
      this.position = this.written;
      this.silentBefore = this.written;
      this.state = 'idle';
      this.stats.clears++;
      this.stats.marksCleared += flushed.length;
      return flushed;
    }

    /** Fills `out` with the next samples at the output rate; returns the marks whose audio has now played. */
    render(out) {
      for (let i = 0; i < out.length; i++) {
        if (this.state === 'buffering') {
          if (this.written - this.position >= this.prebufferSamples || this.waitFrames <= 0) {
            this.state = 'playing';
            this.stats.starts++;
          } else {
            this.waitFrames--;
            out[i] = 0;
            continue;
          }
        }
        if (this.state === 'playing' && this.position >= this.written) {
          this.position = this.written;
          this.state = 'idle';
        }
        if (this.state !== 'playing') {
          out[i] = 0;
          continue;
        }
        out[i] = this.sampleAt(this.position);
        this.position += this.step;
        this.stats.playedMs += 1000 / this.outputRate;
      }
      const played = [];
      while (this.marks.length > 0 && this.marks[0].at <= this.position) played.push(this.marks.shift().name);
      this.stats.marksPlayed += played.length;
      return played;
    }

    /** The band-limited queue at a fractional position; nothing before a clear or after the last sample queued. */
    sampleAt(t) {
      const h = this.kernel.halfWidth;
      const first = Math.max(Math.floor(t) - h + 1, this.silentBefore, this.written - QUEUE_SAMPLES);
      const last = Math.min(Math.floor(t) + h, this.written - 1);
      let sum = 0;
      for (let k = first; k <= last; k++) sum += this.ring[k & this.mask] * this.kernel.at(t - k);
      return sum;
    }
  }

  const PhoneAudio = {
    LINE_RATE,
    FRAME_SAMPLES,
    TELEPHONE_BAND,
    mulawEncodeSample,
    mulawDecodeSample,
    Lowpass,
    Resampler,
    CaptureEncoder,
    PlaybackQueue,
  };

  if (typeof module === 'object' && module.exports) module.exports = PhoneAudio;
  else globalThis.PhoneAudio = PhoneAudio;
})();
