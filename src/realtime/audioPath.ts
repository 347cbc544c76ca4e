import { CallerToModel, ModelToCaller } from '../audio';
import type { AudioMode } from '../config';

/**
 * How audio crosses the bridge. Twilio speaks μ-law 8 kHz; the model hears and speaks either PCM16 24 kHz
 * (transcoded, the default) or the same μ-law (passthrough, for comparison).
 */
export interface AudioPath {
  /** Twilio payload bytes → base64 for input_audio_buffer.append. */
  toModel(mulaw: Buffer): string;
  /** A model audio delta (base64) → μ-law bytes for Twilio. */
  toCaller(deltaBase64: string): Buffer;
  /** Forget output filter state, e.g. after a barge-in threw queued audio away. */
  resetOutput(): void;
}

export function createAudioPath(mode: AudioMode): AudioPath {
  if (mode === 'passthrough') {
    return {
      toModel: (mulaw) => mulaw.toString('base64'),
      toCaller: (delta) => Buffer.from(delta, 'base64'),
      resetOutput: () => {},
    };
  }
  const inbound = new CallerToModel();
  const outbound = new ModelToCaller();
  return {
    toModel: (mulaw) => inbound.convert(mulaw).toString('base64'),
    toCaller: (delta) => outbound.convert(Buffer.from(delta, 'base64')),
    resetOutput: () => outbound.reset(),
  };
}
