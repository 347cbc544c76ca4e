/**
 * Pure audio core for the phone bridge (no I/O, no imports from the rest of the project).
 * Twilio speaks G.711 μ-law at 8 kHz; the Realtime model speaks PCM16 LE at 24 kHz.
 */
export { mulawToPcm16, pcm16ToMulaw, mulawSilence, MULAW_SILENCE } from './g711';
export { Upsampler3, type ResamplerOptions } from './upsampler';
export { Downsampler3 } from './downsampler';
export { bestKernel, type ResamplerKernel } from './simdKernels';
export { CallerToModel, ModelToCaller } from './transcode';
export { levelDbfs, mulawLevelDbfs, SILENCE_DBFS } from './level';
export { NoiseFloor } from './noiseFloor';
export { SpeechOnsetDetector, DEFAULT_ONSET_SETTINGS, type SpeechOnsetSettings } from './speechOnset';
