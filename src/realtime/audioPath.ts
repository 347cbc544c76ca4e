import { CallerToModel, ModelToCaller } from '../audio';
import type { AudioMode } from '../config';

/**
 * How audio crosses the bridge. Twilio speaks μ-law 8 kHz. The model hears and speaks PCM16 24 kHz (pcm16,
 * the default: transcoded both ways), hears Twilio's μ-law untouched and speaks PCM16 that we downsample with
 * our anti-aliasing filter (hybrid), or hears and speaks μ-law (passthrough: no transcoding at all).
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
  const inbound = mode === 'pcm16' ? new CallerToModel() : undefined;
  const outbound = mode === 'passthrough' ? undefined : new ModelToCaller();
  // Caller frames come 50 a second: they are upsampled into one buffer per call, and only the base64 leaves it.
  let pcm = Buffer.alloc(0);
  return {
    toModel: (mulaw) => {
      if (!inbound) return mulaw.toString('base64');
      if (pcm.length < mulaw.length * 6) pcm = Buffer.allocUnsafeSlow(mulaw.length * 6);
      return pcm.toString('base64', 0, inbound.convertInto(mulaw, pcm));
    },
    toCaller: (delta) => (outbound ? outbound.convert(Buffer.from(delta, 'base64')) : Buffer.from(delta, 'base64')),
    resetOutput: () => outbound?.reset(),
  };
}
