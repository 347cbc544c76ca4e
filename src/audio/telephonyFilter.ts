import { designKaiserLowpass } from './firDesign';

/**
 * The one low-pass prototype, at 24 kHz, shared by both resampling directions.
 *
 * Telephone audio needs a flat 300–3400 Hz and rejection from 4.6 kHz up: anything between
 * 4.0 and 4.6 kHz folds to 3.4–4.0 kHz, outside the band. That wide transition band lets
 * the filter stay short. Measured for this design (see the resampler tests and `npm run bench`):
 * ~0.03 dB ripple over 300–3400 Hz, ~80 dB rejection from 4.6 kHz up.
 *
 * Why these numbers:
 * - 95 taps = 6k+5 with k = 15: the centre tap (47) sits 2 samples past a multiple of 3, so the
 *   decimator (which emits an output once each group of 3 inputs is complete) has a delay of
 *   exactly 15 output samples (1.875 ms); the interpolator's delay is 47 samples at 24 kHz
 *   (1.958 ms). Both are under the 2 ms budget; the next 6k+5 length (101) is not.
 * - Cutoff 3950 Hz and β = 8 were picked by sweeping (cutoff, β) for this length: it keeps
 *   ripple ~3x below the 0.1 dB limit and rejection ~10 dB above the 70 dB limit.
 *   A higher cutoff or lower β flattens 3.4 kHz but lets more through at 4.6 kHz.
 */
const RESAMPLER_FILTER_SPEC = {
  taps: 95,
  cutoffHz: 3950,
  sampleRateHz: 24000,
  kaiserBeta: 8,
} as const;

/** Resampling factor between the model's 24 kHz and the phone line's 8 kHz. */
export const RATIO = 3;

export const PROTOTYPE: Float64Array = designKaiserLowpass(RESAMPLER_FILTER_SPEC);
