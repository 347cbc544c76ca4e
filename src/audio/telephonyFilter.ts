import { designEquirippleLowpass } from './firDesign';

/**
 * The one low-pass prototype, at 24 kHz, shared by both resampling directions.
 *
 * Telephone audio needs a flat 300–3400 Hz and rejection from 4.6 kHz up: anything between
 * 4.0 and 4.6 kHz folds to 3.4–4.0 kHz, outside the band. Targets: ripple ≤ 0.1 dB, alias and
 * image ≤ −80 dB (−70 dB is the floor), delay ≤ 2 ms each way.
 *
 * Why an equiripple (Parks–McClellan) design with these numbers:
 * - For a given length it spreads the error evenly over both bands, where a Kaiser window
 *   overshoots the spec everywhere but next to the transition band. The previous Kaiser design
 *   took 95 taps for ~0.03 dB / −80 dB; equiripple gets ~0.07 dB / −83.6 dB from 75, so every
 *   output costs 21% fewer multiply-adds (see docs/audio.md for the sweep over lengths).
 * - 75 taps rather than the 71 that reach −81 dB on paper: measured through 16-bit output, an
 *   alias 80 dB down is a ~3 LSB tone, and rounding makes it read 1–2 dB louder (71 taps
 *   measure −79.7 dB). 75 taps measure ≤ −82 dB. 63 taps would only just meet the −70 dB floor.
 * - stopbandWeight 60 (δp/δs) splits that length's error budget into ~0.07 dB ripple (30%
 *   headroom on 0.1 dB) and −83.6 dB rejection.
 * - The centre tap (37) is 1 mod 3, so the decimator sees the taps behind one leading zero
 *   (DECIMATOR_TAPS): its delay is then a whole 12 output samples (1.5 ms); the interpolator's
 *   is 37 samples at 24 kHz (1.542 ms).
 */
const RESAMPLER_FILTER_SPEC = {
  taps: 75,
  sampleRateHz: 24000,
  passbandEdgeHz: 3400,
  stopbandEdgeHz: 4600,
  stopbandWeight: 60,
} as const;

/** Resampling factor between the model's 24 kHz and the phone line's 8 kHz. */
export const RATIO = 3;

/** Symmetric low-pass taps, unity gain at DC. */
export const PROTOTYPE: Float64Array = designEquirippleLowpass(RESAMPLER_FILTER_SPEC).taps;

const CENTRE = (PROTOTYPE.length - 1) / 2;
/** Leading zeros that move the centre tap to 2 mod 3. */
const DECIMATOR_PADDING = (((2 - CENTRE) % RATIO) + RATIO) % RATIO;

/**
 * The prototype as the decimator applies it: output m is Σ_k DECIMATOR_TAPS[k]·x[3m+2−k], so it
 * is emitted as soon as its group of 3 inputs is complete, and with the centre tap at 2 mod 3
 * its delay is a whole number of output samples.
 */
export const DECIMATOR_TAPS: Float64Array = (() => {
  const taps = new Float64Array(DECIMATOR_PADDING + PROTOTYPE.length);
  taps.set(PROTOTYPE, DECIMATOR_PADDING);
  return taps;
})();

/** Where DECIMATOR_TAPS is structurally zero (padding), so kernels can skip those products. */
export const DECIMATOR_FIRST_TAP = DECIMATOR_PADDING;

/** Group delays, in samples at the respective output rate (whole numbers by construction). */
export const INTERPOLATOR_DELAY = CENTRE;
export const DECIMATOR_DELAY = (DECIMATOR_PADDING + CENTRE - 2) / RATIO;
