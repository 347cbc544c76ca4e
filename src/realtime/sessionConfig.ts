import type {
  ConversationItemCreateEvent,
  RealtimeAudioFormats,
  RealtimeSessionCreateRequest,
} from 'openai/resources/realtime/realtime';
import type { Config } from '../config';

export type SessionSettings = Pick<Config, 'persona' | 'audioMode' | 'vad' | 'noiseReduction' | 'transcription' | 'reasoning'>;

/**
 * The session.update body for a phone call. In pcm16 mode we transcode (callers' speech is recognised
 * better from PCM16 24 kHz); in passthrough mode Twilio's μ-law goes to the model untouched.
 */
export function phoneSession(settings: SessionSettings): RealtimeSessionCreateRequest {
  const format: RealtimeAudioFormats =
    settings.audioMode === 'passthrough' ? { type: 'audio/pcmu' } : { type: 'audio/pcm', rate: 24000 };
  const { model, language, delay } = settings.transcription;
  return {
    type: 'realtime',
    instructions: settings.persona.instructions,
    output_modalities: ['audio'],
    ...(settings.reasoning ? { reasoning: settings.reasoning } : {}),
    audio: {
      input: {
        format,
        // Both are off unless sent.
        ...(settings.noiseReduction === 'off' ? {} : { noise_reduction: { type: settings.noiseReduction } }),
        ...(model ? { transcription: { model, ...(language ? { language } : {}), ...(delay ? { delay } : {}) } } : {}),
        turn_detection: {
          type: 'server_vad',
          threshold: settings.vad.threshold,
          prefix_padding_ms: settings.vad.prefixPaddingMs,
          silence_duration_ms: settings.vad.silenceMs,
          create_response: true,
          // The server cancels its own response when the caller talks over it; we clear Twilio and truncate.
          interrupt_response: true,
        },
      },
      output: { format, voice: settings.persona.voice },
    },
  };
}

/** Instructions for the response that opens the call with the configured greeting. */
export function greetingInstructions(greeting: string): string {
  return `Greet the caller now by saying exactly this, and nothing more: "${greeting}"`;
}

/** The conversation so far, as items for a fresh session: text, since the old session's audio is gone. */
export function reseedItems(turns: ReadonlyArray<{ role: 'caller' | 'agent'; text: string }>): ConversationItemCreateEvent[] {
  return turns
    .filter((turn) => turn.text.trim() !== '')
    .map((turn) => ({
      type: 'conversation.item.create',
      item:
        turn.role === 'caller'
          ? { type: 'message', role: 'user', content: [{ type: 'input_text', text: turn.text }] }
          : { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: turn.text }] },
    }));
}
