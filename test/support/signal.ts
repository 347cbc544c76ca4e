/**
 * Signal helpers for audio tests (unit and end-to-end). Samples are PCM16 in Int16Arrays;
 * "full scale" is 32768. Deterministic, dependency-free, and independent of src/audio so
 * they can check it.
 */

const FULL_SCALE = 32768;

/** A sine tone; `amplitude` is a fraction of full scale (0.5 ≈ -6 dB tone level). Starts at phase 0. */
export function sine(freqHz: number, sampleRate: number, durationMs: number, amplitude = 0.5): Int16Array {
  const count = Math.round((sampleRate * durationMs) / 1000);
  const out = new Int16Array(count);
  const step = (2 * Math.PI * freqHz) / sampleRate;
  for (let i = 0; i < count; i++) out[i] = Math.round(amplitude * 32767 * Math.sin(step * i));
  return out;
}

/**
 * Level in dB of the component at exactly `freqHz`, relative to a full-scale sine
 * (a sine of amplitude 0.5 reads -6.02 dB). A Hann-weighted least-squares fit of
 * cos+sin at that frequency: exact for a tone of that frequency whatever the number of
 * cycles, and blind to other tones more than a few bins away (strong tones 1 kHz
 * off leak nothing measurable). Returns -Infinity if the component is exactly zero.
 */
export function toneLevelDb(samples: Int16Array, sampleRate: number, freqHz: number): number {
  return 20 * Math.log10(fitTone(samples, sampleRate, freqHz).amplitude / FULL_SCALE);
}

/** Amplitude (in sample units) and phase (radians, of a cosine at sample 0) of the component at `freqHz`. */
export function fitTone(samples: Int16Array, sampleRate: number, freqHz: number): { amplitude: number; phase: number } {
  const n = samples.length;
  const step = (2 * Math.PI * freqHz) / sampleRate;
  let xc = 0;
  let xs = 0;
  let cc = 0;
  let ss = 0;
  let sc = 0;
  for (let i = 0; i < n; i++) {
    const w = 0.5 - 0.5 * Math.cos((2 * Math.PI * (i + 0.5)) / n);
    const c = Math.cos(step * i);
    const s = Math.sin(step * i);
    xc += w * samples[i] * c;
    xs += w * samples[i] * s;
    cc += w * c * c;
    ss += w * s * s;
    sc += w * s * c;
  }
  const det = cc * ss - sc * sc;
  // At DC and Nyquist the sine basis vanishes: fit the cosine alone.
  if (det <= 1e-9 * cc * cc) return { amplitude: Math.abs(xc / cc), phase: xc < 0 ? Math.PI : 0 };
  const a = (xc * ss - xs * sc) / det; // x ≈ a·cos + b·sin = A·cos(ωi + φ)
  const b = (xs * cc - xc * sc) / det;
  return { amplitude: Math.hypot(a, b), phase: Math.atan2(-b, a) };
}

/**
 * Frequency of the strongest spectral peak between minHz and maxHz: Hann window, FFT
 * zero-padded to ≥4x the length, then parabolic interpolation on log magnitude.
 * Well within ±1 Hz on a 500 ms tone.
 */
export function dominantFrequency(samples: Int16Array, sampleRate: number, minHz = 50, maxHz = sampleRate / 2): number {
  let size = 1;
  while (size < 4 * samples.length) size *= 2;
  const re = new Float64Array(size);
  const im = new Float64Array(size);
  for (let i = 0; i < samples.length; i++) {
    re[i] = samples[i] * (0.5 - 0.5 * Math.cos((2 * Math.PI * (i + 0.5)) / samples.length));
  }
  fftInPlace(re, im);
  const binHz = sampleRate / size;
  const first = Math.max(1, Math.ceil(minHz / binHz));
  const last = Math.min(size / 2 - 1, Math.floor(maxHz / binHz));
  const logMag = (k: number) => Math.log(Math.hypot(re[k], im[k]) + 1e-12);
  let peak = first;
  for (let k = first + 1; k <= last; k++) if (logMag(k) > logMag(peak)) peak = k;
  const [l, c, r] = [logMag(peak - 1), logMag(peak), logMag(peak + 1)];
  const denominator = l - 2 * c + r;
  const offset = denominator === 0 ? 0 : (0.5 * (l - r)) / denominator;
  return (peak + offset) * binHz;
}

/** RMS level in dBFS relative to 32768 (a full-scale sine reads -3.01); -Infinity for silence. */
export function rmsDbfs(samples: Int16Array): number {
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum += samples[i] * samples[i];
  return 20 * Math.log10(Math.sqrt(sum / Math.max(1, samples.length)) / FULL_SCALE);
}

/** Deterministic pseudo-random generator (mulberry32) returning floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Iterative radix-2 complex FFT; `re.length` must be a power of two. */
function fftInPlace(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j], re[i]];
      [im[i], im[j]] = [im[j], im[i]];
    }
  }
  for (let len = 2; len <= n; len *= 2) {
    const angle = (-2 * Math.PI) / len;
    for (let start = 0; start < n; start += len) {
      for (let k = 0; k < len / 2; k++) {
        const wr = Math.cos(angle * k);
        const wi = Math.sin(angle * k);
        const a = start + k;
        const b = a + len / 2;
        const tr = re[b] * wr - im[b] * wi;
        const ti = re[b] * wi + im[b] * wr;
        re[b] = re[a] - tr;
        im[b] = im[a] - ti;
        re[a] += tr;
        im[a] += ti;
      }
    }
  }
}
